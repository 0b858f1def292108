package dev.codexledger.auth;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.onSuccess;
import static org.apache.pekko.http.javadsl.server.Directives.extractClientIP;
import static org.apache.pekko.http.javadsl.server.Directives.optionalHeaderValueByType;

import dev.codexledger.http.ApiErrors;
import dev.codexledger.workspace.WorkspaceId;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.RemoteAddress;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.Authorization;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The gate of every authenticated endpoint: a known, active key (else 401), bound to the workspace the
 * request is about or to all (else 403), holding the endpoint's scope (else 403), within its rate (else
 * 429 + Retry-After). Error bodies name only what the caller sent: never whether another workspace, or
 * another workspace's key, exists. 401s and 403s are counted into {@code AUTH_LOG} records.
 */
public final class Access {

    private final ApiKeys keys;
    private final ClusterRateLimits rateLimits;
    private final AuthAudit audit;

    private final Optional<SsoSessions> sso;

    public Access(ApiKeys keys, ClusterRateLimits rateLimits, AuthAudit audit) {
        this(keys, rateLimits, audit, Optional.empty());
    }

    /** {@code sso}: people signed in with single sign-on, by their session cookie (when no key is sent). */
    public Access(ApiKeys keys, ClusterRateLimits rateLimits, AuthAudit audit, Optional<SsoSessions> sso) {
        this.sso = sso;
        this.keys = keys;
        this.rateLimits = rateLimits;
        this.audit = audit;
    }

    /** The usual case: the workspace is known from the path. */
    public Route allow(Endpoint endpoint, String workspace, Function<ApiKey, Route> inner) {
        return authenticate(endpoint, Optional.of(workspace), key -> authorize(key, endpoint, workspace,
                () -> inner.apply(key)));
    }

    /**
     * A known, active key, or 401. {@code workspaceHint} is where a denial is recorded (the org workspace
     * when absent or invalid).
     */
    public Route authenticate(Endpoint endpoint, Optional<String> workspaceHint, Function<ApiKey, Route> inner) {
        return extractClientIP(ip -> optionalHeaderValueByType(Authorization.class, header -> {
            Optional<String> token = header
                    .filter(h -> "bearer".equalsIgnoreCase(h.credentials().scheme()))
                    .map(h -> h.credentials().token());
            Optional<ApiKey> key = token.flatMap(keys::authenticate);
            if (key.isPresent()) {
                return inner.apply(key.get());
            }
            if (token.isEmpty() && sso.isPresent()) { // a person signed in with SSO: the session cookie
                return org.apache.pekko.http.javadsl.server.Directives.optionalCookie(SsoRoutes.SESSION_COOKIE,
                        cookie -> cookie.isEmpty() ? refuse(endpoint, workspaceHint, token, ip)
                                : org.apache.pekko.http.javadsl.server.Directives.extractMethod(method ->
                                org.apache.pekko.http.javadsl.server.Directives.optionalHeaderValueByName(
                                        SsoRoutes.CSRF_HEADER, csrf -> {
                                    boolean reads = method.name().equals("GET") || method.name().equals("HEAD");
                                    if (!reads && csrf.isEmpty()) { // a change needs the header no cross-site form can send
                                        return complete(ApiErrors.error(StatusCodes.FORBIDDEN, "a change made with the"
                                                + " session cookie needs the header " + SsoRoutes.CSRF_HEADER,
                                                SsoRoutes.CSRF_HEADER));
                                    }
                                    return onSuccess(sso.get().find(cookie.get().value()), session -> session.isPresent()
                                            ? inner.apply(sso.get().keyFor(session.get(), workspaceHint))
                                            : refuse(endpoint, workspaceHint, token, ip));
                                })));
            }
            return refuse(endpoint, workspaceHint, token, ip);
        }));
    }

    private Route refuse(Endpoint endpoint, Optional<String> workspaceHint, Optional<String> token, RemoteAddress ip) {
        String keyId = token.map(t -> KeyTokens.embeddedId(t).orElse("unknown")).orElse("none");
        String reason = token.isPresent() ? "unknown, revoked or expired API key"
                : "missing API key: send Authorization: Bearer <key>";
        String auditWorkspace = workspaceHint.filter(WorkspaceId::isReadable).orElse(WorkspaceId.ORG);
        audit.denied(auditWorkspace, new AuthAudit.Caller(keyId, null, remote(ip)), 401, reason, endpoint);
        return complete(ApiErrors.error(StatusCodes.UNAUTHORIZED, reason, "Authorization")
                .addHeader(RawHeader.create("WWW-Authenticate", "Bearer")));
    }

    /** Lets an authenticated key through to one workspace, or answers 403/429. */
    public Route authorize(ApiKey key, Endpoint endpoint, String workspace, Supplier<Route> inner) {
        // a person's key is bound when the workspace is known (it may hold roles on several workspaces)
        ApiKey bound = sso.isPresent() ? sso.get().rebind(key, workspace) : key;
        return extractClientIP(ip -> {
            Optional<HttpResponse> refusal = check(bound, endpoint, workspace, remote(ip));
            if (refusal.isPresent()) {
                return complete(refusal.get());
            }
            var decision = rateLimits.acquire(key.id(), endpoint.scope()).toCompletableFuture();
            if (decision.isDone() && !decision.isCompletedExceptionally()) {
                return limited(decision.join(), endpoint, inner); // decided on this node: no asynchronous step
            }
            return onSuccess(decision, decided -> limited(decided, endpoint, inner));
        });
    }

    private static Route limited(RateLimits.Decision decision, Endpoint endpoint, Supplier<Route> inner) {
        if (decision.allowed()) {
            return inner.get();
        }
        return complete(ApiErrors.error(StatusCodes.TOO_MANY_REQUESTS, "rate limit of this key for scope "
                        + endpoint.scope().wireName() + " exceeded; retry later", null)
                .addHeader(RawHeader.create("Retry-After", Long.toString(decision.retryAfterSeconds()))));
    }

    private Optional<HttpResponse> check(ApiKey key, Endpoint endpoint, String workspace, String remote) {
        String problem = null;
        String field = null;
        if (!key.covers(workspace)) {
            problem = ApiKey.ALL_WORKSPACES.equals(workspace)
                    ? "this key is bound to one workspace; this needs an org-wide key"
                    : "this key may not access workspace " + workspace;
            field = "workspace";
        } else if (!key.has(endpoint.scope())) {
            problem = "this key lacks the scope " + endpoint.scope().wireName() + " that " + endpoint + " needs";
            field = "Authorization";
        }
        if (problem != null) {
            String auditWorkspace = WorkspaceId.isReadable(workspace) ? workspace : WorkspaceId.ORG;
            audit.denied(auditWorkspace, new AuthAudit.Caller(key.id(), key.name(), remote), 403, problem, endpoint);
            return Optional.of(ApiErrors.error(StatusCodes.FORBIDDEN, problem, field));
        }
        return Optional.empty();
    }

    /** The caller as audit records name it. */
    public Route caller(ApiKey key, Function<AuthAudit.Caller, Route> inner) {
        return extractClientIP(ip -> inner.apply(new AuthAudit.Caller(key.id(), key.name(), remote(ip))));
    }

    private static String remote(RemoteAddress ip) {
        return ip.getAddress().map(java.net.InetAddress::getHostAddress).orElse("unknown");
    }
}
