package dev.codexledger.auth;

import com.typesafe.config.Config;
import java.net.URI;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Single sign-on with OpenID Connect ({@code ledger.sso}): the provider (issuer), this ledger as its client,
 * the claim holding the user's groups, and what each group may do — scopes on one workspace or on all
 * ({@code *}). Off while {@code issuer} is empty.
 */
public record SsoSettings(String issuer, String clientId, String clientSecret, URI redirectUri, String scopes,
                          String groupsClaim, Duration sessionTtl, byte[] cookieSecret, List<Role> roles) {

    /** Members of {@code group} get {@code scopes} on {@code workspace} ({@code *}: every workspace). */
    public record Role(String group, String workspace, Set<Scope> scopes) {}

    public boolean enabled() {
        return !issuer.isBlank();
    }

    public static SsoSettings fromConfig(Config config) {
        Config sso = config.getConfig("ledger.sso");
        String issuer = sso.getString("issuer").replaceAll("/+$", "");
        List<Role> roles = new ArrayList<>();
        for (Config role : sso.getConfigList("roles")) {
            roles.add(new Role(role.getString("group"), role.getString("workspace"), scopes(role.getStringList("scopes"),
                    "ledger.sso.roles")));
        }
        roles.addAll(parseRoles(sso.getString("roles-string")));
        byte[] secret;
        String configured = sso.getString("cookie-secret");
        if (configured.isBlank()) { // one node only: every node of a cluster needs the same secret
            secret = new byte[32];
            new SecureRandom().nextBytes(secret);
        } else {
            secret = Base64.getDecoder().decode(configured.trim());
            if (secret.length < 32) {
                throw new IllegalArgumentException("ledger.sso.cookie-secret must be at least 32 bytes (base64)");
            }
        }
        if (!issuer.isBlank() && configured.isBlank()) {
            org.slf4j.LoggerFactory.getLogger(SsoSettings.class).warn("ledger.sso.cookie-secret"
                    + " (LEDGER_SSO_COOKIE_SECRET) is not set: a sign-in must end on the node where it began; set the"
                    + " same secret on every node of a cluster");
        }
        String redirect = sso.getString("redirect-uri");
        if (!issuer.isBlank() && (redirect.isBlank() || sso.getString("client-id").isBlank())) {
            throw new IllegalArgumentException("ledger.sso: with an issuer, client-id and redirect-uri are required");
        }
        return new SsoSettings(issuer, sso.getString("client-id"), sso.getString("client-secret"),
                redirect.isBlank() ? null : URI.create(redirect), sso.getString("scopes"),
                sso.getString("groups-claim"), sso.getDuration("session-ttl"), secret, List.copyOf(roles));
    }

    /** {@code group=workspace:scope+scope;group=...}, e.g. {@code codex-admins=*:admin;codex-analytics=acme:analytics.read}. */
    static List<Role> parseRoles(String text) {
        List<Role> roles = new ArrayList<>();
        for (String part : text.split(";")) {
            if (part.isBlank()) {
                continue;
            }
            String[] groupRest = part.trim().split("=", 2);
            String[] workspaceScopes = groupRest.length == 2 ? groupRest[1].split(":", 2) : new String[0];
            if (workspaceScopes.length != 2 || groupRest[0].isBlank() || workspaceScopes[0].isBlank()) {
                throw new IllegalArgumentException("ledger.sso.roles-string: '" + part
                        + "' is not group=workspace:scope+scope");
            }
            roles.add(new Role(groupRest[0].trim(), workspaceScopes[0].trim(),
                    scopes(List.of(workspaceScopes[1].split("\\+")), "ledger.sso.roles-string")));
        }
        return roles;
    }

    private static Set<Scope> scopes(List<String> names, String where) {
        Set<Scope> scopes = new LinkedHashSet<>();
        for (String name : names) {
            scopes.add(Scope.fromWireName(name.trim()).orElseThrow(() -> new IllegalArgumentException(where
                    + ": unknown scope '" + name + "'")));
        }
        return Set.copyOf(scopes);
    }

    /** What a user in {@code groups} may do: the roles of those groups. */
    public List<Role> rolesOf(List<String> groups) {
        return roles.stream().filter(r -> groups.contains(r.group())).toList();
    }
}
