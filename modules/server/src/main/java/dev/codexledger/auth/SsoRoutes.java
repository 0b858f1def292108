package dev.codexledger.auth;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.extractClientIP;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.optionalCookie;
import static org.apache.pekko.http.javadsl.server.Directives.parameterMap;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.Directives.pathPrefix;
import static org.apache.pekko.http.javadsl.server.Directives.post;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.codexledger.http.ApiErrors;
import dev.codexledger.http.Blocking;
import dev.codexledger.workspace.WorkspaceId;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executor;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.Route;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Single sign-on for people (the dashboard, and the API from a browser): OpenID Connect, authorization
 * code flow with PKCE.
 * <ul>
 *   <li>{@code GET /auth/config}: whether SSO is on (the dashboard asks);</li>
 *   <li>{@code GET /auth/login?return_to=/}: to the provider, with state, nonce and the PKCE challenge kept
 *       in a short-lived signed cookie (any node can finish the login);</li>
 *   <li>{@code GET /auth/callback}: the code redeemed, the ID token verified, the groups claim mapped to
 *       roles; no role: 403 and an AUTH_LOG {@code sso.denied} record; else a session (cookie
 *       {@code ledger_session}: HttpOnly, Secure, SameSite=Strict, expiring with the session) and an
 *       AUTH_LOG {@code sso.signed_in} record;</li>
 *   <li>{@code GET /auth/session}: who is signed in and what they may do; {@code POST /auth/logout}: the
 *       session ended everywhere (AUTH_LOG {@code sso.signed_out}).</li>
 * </ul>
 */
public final class SsoRoutes {

    private static final Logger LOG = LoggerFactory.getLogger(SsoRoutes.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** {@code __Host-}: Secure, Path=/ and no Domain, so no sibling site can set or shadow it. */
    public static final String SESSION_COOKIE = "__Host-ledger_session";
    /** Sent with every cookie-authenticated request that changes something (a custom header: no cross-site form can). */
    public static final String CSRF_HEADER = "X-Ledger-Csrf";
    static final String LOGIN_COOKIE = "ledger_sso_login";
    private static final long LOGIN_SECONDS = 600;

    private final SsoSettings settings;
    private final OidcClient oidc;
    private final SsoSessions sessions;
    private final AuthAudit audit;
    private final Executor blocking;
    private final Clock clock;

    public SsoRoutes(SsoSettings settings, OidcClient oidc, SsoSessions sessions, AuthAudit audit, Executor blocking,
                     Clock clock) {
        this.settings = settings;
        this.oidc = oidc;
        this.sessions = sessions;
        this.audit = audit;
        this.blocking = blocking;
        this.clock = clock;
    }

    /** Whether SSO is on, for a node without it (the dashboard asks). */
    public static Route off() {
        return pathPrefix("auth", () -> path("config", () -> get(() -> complete(ApiErrors.ok(
                JSON.createObjectNode().put("sso", false))))));
    }

    public Route routes() {
        return pathPrefix("auth", () -> concat(
                path("config", () -> get(() -> complete(ApiErrors.ok(JSON.createObjectNode().put("sso", true)
                        .put("login", "/auth/login"))))),
                path("login", () -> get(() -> parameterMap(params -> Blocking.answer(blocking, () -> login(params))))),
                path("callback", () -> get(() -> parameterMap(params -> optionalCookie(LOGIN_COOKIE, pending ->
                        extractClientIP(ip -> Blocking.answer(blocking, () -> callback(params,
                                pending.map(c -> c.value()), remote(ip)))))))),
                path("session", () -> get(() -> optionalCookie(SESSION_COOKIE, cookie -> cookie.isEmpty()
                        ? complete(notSignedIn())
                        : org.apache.pekko.http.javadsl.server.Directives.onSuccess(sessions.find(cookie.get().value()),
                                found -> complete(found.map(this::sessionView).orElseGet(SsoRoutes::notSignedIn)))))),
                path("logout", () -> post(() -> org.apache.pekko.http.javadsl.server.Directives.optionalHeaderValueByName(
                        CSRF_HEADER, csrf -> csrf.isEmpty()
                                ? complete(ApiErrors.error(StatusCodes.FORBIDDEN, "send " + CSRF_HEADER + ": 1", CSRF_HEADER))
                                : optionalCookie(SESSION_COOKIE, cookie -> extractClientIP(ip ->
                                Blocking.answer(blocking, () -> logout(cookie.map(c -> c.value()), remote(ip))))))))));
    }

    private static String remote(org.apache.pekko.http.javadsl.model.RemoteAddress ip) {
        return ip.getAddress().map(java.net.InetAddress::getHostAddress).orElse("unknown");
    }

    private static HttpResponse notSignedIn() {
        return ApiErrors.error(StatusCodes.UNAUTHORIZED, "not signed in", "Cookie");
    }

    private HttpResponse login(Map<String, String> params) {
        String returnTo = params.getOrDefault("return_to", "/");
        // only back into this site: a plain path (no control characters a browser would drop, no // or \)
        if (!returnTo.matches("/[A-Za-z0-9/_.~?=&%#-]*") || returnTo.startsWith("//")) {
            returnTo = "/";
        }
        String state = OidcClient.random();
        String nonce = OidcClient.random();
        String verifier = OidcClient.random();
        java.net.URI to;
        try {
            to = oidc.authorizationUrl(state, nonce, verifier);
        } catch (Exception e) {
            LOG.warn("single sign-on cannot reach the provider {}: {}", settings.issuer(), e.toString());
            return page(StatusCodes.SERVICE_UNAVAILABLE, "Sign-in is unavailable",
                    "The identity provider cannot be reached. Try again later.");
        }
        ObjectNode pending = JSON.createObjectNode().put("state", state).put("nonce", nonce).put("verifier", verifier)
                .put("return_to", returnTo).put("expires", clock.instant().getEpochSecond() + LOGIN_SECONDS);
        return HttpResponse.create().withStatus(StatusCodes.FOUND)
                .addHeader(RawHeader.create("Location", to.toString()))
                .addHeader(RawHeader.create("Cache-Control", "no-store"))
                .addHeader(RawHeader.create("Set-Cookie", LOGIN_COOKIE + "=" + sign(pending.toString())
                        + "; Path=/auth; Max-Age=" + LOGIN_SECONDS + "; HttpOnly; Secure; SameSite=Lax"));
    }

    private HttpResponse callback(Map<String, String> params, Optional<String> pendingCookie, String remote) {
        Optional<JsonNode> pending = pendingCookie.flatMap(this::verified)
                .filter(p -> p.path("expires").asLong() >= clock.instant().getEpochSecond());
        // no person is known before the ID token is verified: what fails before that is logged, not recorded
        // (anyone can call this URL; a record each would let them fill the org's log)
        if (pending.isEmpty() || !pending.get().path("state").asText().equals(params.get("state"))) {
            LOG.info("sign-in from {} refused: its state does not match (expired, or not started here)", remote);
            return page(StatusCodes.BAD_REQUEST, "Sign-in failed", "This sign-in expired or was not started here. "
                    + "Start again.");
        }
        if (params.containsKey("error") || !params.containsKey("code")) {
            LOG.info("sign-in from {} refused by the provider", remote);
            return page(StatusCodes.FORBIDDEN, "Sign-in failed", "The identity provider did not sign you in.");
        }
        OidcClient.Identity identity;
        try {
            identity = oidc.redeem(params.get("code"), pending.get().get("verifier").asText(),
                    pending.get().get("nonce").asText());
        } catch (Exception e) {
            LOG.warn("sign-in from {} refused: the ID token was not accepted: {}", remote, e.toString());
            return page(StatusCodes.FORBIDDEN, "Sign-in failed", "The identity provider's answer could not be verified.");
        }
        List<SsoSettings.Role> roles = settings.rolesOf(identity.groups());
        AuthAudit.Caller person = new AuthAudit.Caller("sso", "sso:" + identity.subject(), remote);
        if (roles.isEmpty()) {
            denied(person, identity.subject(), identity.groups(), "no group of this user has a role in this ledger");
            return page(StatusCodes.FORBIDDEN, "No access", "You are signed in at your identity provider, but none of"
                    + " your groups has access to this ledger. Ask an administrator.");
        }
        String id = sessions.create(identity);
        ObjectNode attributes = JSON.createObjectNode().put("subject", identity.subject()).put("name", identity.name());
        identity.groups().forEach(attributes.putArray("groups")::add);
        ArrayNode granted = attributes.putArray("roles");
        roles.forEach(r -> granted.addObject().put("group", r.group()).put("workspace", r.workspace())
                .put("scopes", String.join(" ", r.scopes().stream().map(Scope::wireName).sorted().toList())));
        AuthAudit.await(audit.adminAction(WorkspaceId.ORG, "sso.signed_in", person, attributes), "sso.signed_in");
        String returnTo = pending.get().path("return_to").asText("/");
        return HttpResponse.create().withStatus(StatusCodes.FOUND)
                .addHeader(RawHeader.create("Location", returnTo))
                .addHeader(RawHeader.create("Cache-Control", "no-store"))
                .addHeader(RawHeader.create("Set-Cookie", SESSION_COOKIE + "=" + id + "; Path=/; Max-Age="
                        + settings.sessionTtl().toSeconds() + "; HttpOnly; Secure; SameSite=Strict"))
                .addHeader(RawHeader.create("Set-Cookie", LOGIN_COOKIE + "=; Path=/auth; Max-Age=0; HttpOnly; Secure;"
                        + " SameSite=Lax"));
    }

    private void denied(AuthAudit.Caller caller, String subject, List<String> groups, String reason) {
        ObjectNode attributes = JSON.createObjectNode().put("reason", reason).put("subject", subject);
        groups.forEach(attributes.putArray("groups")::add);
        AuthAudit.await(audit.adminAction(WorkspaceId.ORG, "sso.denied", caller, attributes), "sso.denied");
    }

    private HttpResponse logout(Optional<String> cookie, String remote) {
        Optional<SsoSessions.Session> ended = cookie.flatMap(sessions::end);
        ended.ifPresent(s -> AuthAudit.await(audit.adminAction(WorkspaceId.ORG, "sso.signed_out",
                new AuthAudit.Caller("sso-" + s.hash().substring(0, 16), "sso:" + s.subject(), remote),
                JSON.createObjectNode().put("subject", s.subject())), "sso.signed_out"));
        ObjectNode body = JSON.createObjectNode().put("signed_out", ended.isPresent());
        String endSession = oidc.endSessionUrl();
        if (endSession != null) {
            body.put("end_session_url", endSession + (endSession.contains("?") ? "&" : "?") + "client_id="
                    + java.net.URLEncoder.encode(settings.clientId(), StandardCharsets.UTF_8));
        }
        return ApiErrors.ok(body).addHeader(RawHeader.create("Set-Cookie", SESSION_COOKIE
                + "=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Strict"));
    }

    private HttpResponse sessionView(SsoSessions.Session s) {
        ObjectNode view = JSON.createObjectNode().put("subject", s.subject()).put("name", s.name())
                .put("expires_at", s.expiresAt().toString());
        s.groups().forEach(view.putArray("groups")::add);
        ArrayNode workspaces = view.putArray("grants");
        for (SsoSettings.Role role : settings.rolesOf(s.groups())) {
            ArrayNode scopes = workspaces.addObject().put("workspace", role.workspace()).putArray("scopes");
            role.scopes().stream().map(Scope::wireName).sorted().forEach(scopes::add);
        }
        return ApiErrors.ok(view);
    }

    private static HttpResponse page(StatusCode status, String title, String text) {
        String html = "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + title
                + "</title></head><body><h1 id=\"sso-title\">" + title + "</h1><p id=\"sso-message\">" + text
                + "</p><p><a href=\"/\">Back to the dashboard</a></p></body></html>";
        return HttpResponse.create().withStatus(status)
                .withEntity(HttpEntities.create(ContentTypes.TEXT_HTML_UTF8, html))
                .addHeader(RawHeader.create("Cache-Control", "no-store"));
    }

    /**
     * {@code payload.hmac}: the login's state, nonce and verifier, signed so that only this ledger's nodes
     * can have made it (signed, not encrypted: the browser that holds it may read it).
     */
    private String sign(String payload) {
        String body = Base64.getUrlEncoder().withoutPadding().encodeToString(payload.getBytes(StandardCharsets.UTF_8));
        return body + "." + dev.codexledger.http.SignedWebhook.hmacSha256Hex(settings.cookieSecret(),
                body.getBytes(StandardCharsets.US_ASCII));
    }

    private Optional<JsonNode> verified(String cookie) {
        int dot = cookie.lastIndexOf('.');
        if (dot < 0) {
            return Optional.empty();
        }
        String body = cookie.substring(0, dot);
        String expected = dev.codexledger.http.SignedWebhook.hmacSha256Hex(settings.cookieSecret(),
                body.getBytes(StandardCharsets.US_ASCII));
        if (!java.security.MessageDigest.isEqual(expected.getBytes(StandardCharsets.US_ASCII),
                cookie.substring(dot + 1).getBytes(StandardCharsets.US_ASCII))) {
            return Optional.empty();
        }
        try {
            return Optional.of(JSON.readTree(Base64.getUrlDecoder().decode(body)));
        } catch (Exception e) {
            return Optional.empty();
        }
    }
}
