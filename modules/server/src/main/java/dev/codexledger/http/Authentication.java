package dev.codexledger.http;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.optionalHeaderValueByType;

import dev.codexledger.auth.ApiKeys;
import java.util.Optional;
import java.util.function.Supplier;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.Authorization;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.Route;

/** The bearer-key check in front of every {@code /v1} route. */
public final class Authentication {

    private final ApiKeys keys;

    public Authentication(ApiKeys keys) {
        this.keys = keys;
    }

    public Route authenticated(Supplier<Route> inner) {
        return optionalHeaderValueByType(Authorization.class, header -> {
            Optional<String> token = header
                    .filter(h -> "bearer".equalsIgnoreCase(h.credentials().scheme()))
                    .map(h -> h.credentials().token());
            if (token.isPresent() && keys.isValid(token.get())) {
                return inner.get();
            }
            String reason = token.isPresent() ? "unknown API key" : "missing API key: send Authorization: Bearer <key>";
            return complete(ApiErrors.error(StatusCodes.UNAUTHORIZED, reason, "Authorization")
                    .addHeader(RawHeader.create("WWW-Authenticate", "Bearer")));
        });
    }
}
