package dev.codexledger.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * This ledger as an OpenID Connect client (authorization code flow with PKCE, S256): the provider's
 * endpoints from its discovery document, the authorization request, the code exchanged for tokens, and
 * the ID token verified — signature by the provider's published keys (JWKS), issuer, audience, expiry
 * and the nonce of the login that asked for it. Blocking.
 */
public final class OidcClient {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SecureRandom RANDOM = new SecureRandom();

    /** Who signed in, as the provider vouches for it. */
    public record Identity(String subject, String name, String email, List<String> groups) {}

    private final SsoSettings settings;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private volatile JsonNode discovery;
    private volatile DefaultJWTProcessor<SecurityContext> processor;

    public OidcClient(SsoSettings settings) {
        this.settings = settings;
    }

    private JsonNode discovery() throws IOException, InterruptedException {
        JsonNode known = discovery;
        if (known == null) {
            HttpResponse<String> answer = http.send(HttpRequest.newBuilder(URI.create(settings.issuer()
                    + "/.well-known/openid-configuration")).timeout(Duration.ofSeconds(10)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            if (answer.statusCode() != 200) {
                throw new IOException("the provider's discovery document answered " + answer.statusCode());
            }
            known = JSON.readTree(answer.body());
            if (!settings.issuer().equals(known.path("issuer").asText().replaceAll("/+$", ""))) {
                throw new IOException("the provider names itself " + known.path("issuer").asText() + ", not "
                        + settings.issuer());
            }
            discovery = known;
        }
        return known;
    }

    /** A random value for state, nonce or the PKCE verifier (base64url, 256 bits). */
    public static String random() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    static String challengeOf(String verifier) {
        try {
            return Base64.getUrlEncoder().withoutPadding().encodeToString(MessageDigest.getInstance("SHA-256")
                    .digest(verifier.getBytes(StandardCharsets.US_ASCII)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Where to send the browser to sign in. */
    public URI authorizationUrl(String state, String nonce, String verifier) throws IOException, InterruptedException {
        Map<String, String> query = new java.util.LinkedHashMap<>();
        query.put("response_type", "code");
        query.put("client_id", settings.clientId());
        query.put("redirect_uri", settings.redirectUri().toString());
        query.put("scope", settings.scopes());
        query.put("state", state);
        query.put("nonce", nonce);
        query.put("code_challenge", challengeOf(verifier));
        query.put("code_challenge_method", "S256");
        String endpoint = discovery().path("authorization_endpoint").asText();
        return URI.create(endpoint + (endpoint.contains("?") ? "&" : "?") + form(query));
    }

    /** Where to send the browser to end its session at the provider too, if the provider says. */
    public String endSessionUrl() {
        JsonNode known = discovery;
        return known == null ? null : known.path("end_session_endpoint").asText(null);
    }

    /** The code exchanged for tokens; the ID token verified. */
    public Identity redeem(String code, String verifier, String nonce) throws Exception {
        Map<String, String> body = new java.util.LinkedHashMap<>();
        body.put("grant_type", "authorization_code");
        body.put("code", code);
        body.put("redirect_uri", settings.redirectUri().toString());
        body.put("code_verifier", verifier);
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(discovery().path("token_endpoint").asText()))
                .timeout(Duration.ofSeconds(10)).header("Content-Type", "application/x-www-form-urlencoded");
        if (settings.clientSecret().isBlank()) {
            body.put("client_id", settings.clientId()); // a public client: PKCE is its proof
        } else {
            request.header("Authorization", "Basic " + Base64.getEncoder().encodeToString((enc(settings.clientId())
                    + ":" + enc(settings.clientSecret())).getBytes(StandardCharsets.UTF_8)));
        }
        HttpResponse<String> answer = http.send(request.POST(HttpRequest.BodyPublishers.ofString(form(body))).build(),
                HttpResponse.BodyHandlers.ofString());
        if (answer.statusCode() != 200) {
            throw new IOException("the provider's token endpoint answered " + answer.statusCode() + ": "
                    + answer.body().substring(0, Math.min(200, answer.body().length())));
        }
        String idToken = JSON.readTree(answer.body()).path("id_token").asText(null);
        if (idToken == null) {
            throw new IOException("the provider sent no ID token (is openid among ledger.sso.scopes?)");
        }
        JWTClaimsSet claims = processor().process(idToken, null);
        if (!nonce.equals(claims.getStringClaim("nonce"))) {
            throw new IOException("the ID token's nonce is not this login's");
        }
        List<String> groups = new ArrayList<>();
        Object claim = claims.getClaim(settings.groupsClaim());
        if (claim instanceof List<?> list) {
            list.forEach(g -> groups.add(String.valueOf(g)));
        } else if (claim instanceof String one) {
            groups.add(one);
        }
        return new Identity(claims.getSubject(), claims.getStringClaim("name"), claims.getStringClaim("email"),
                List.copyOf(groups));
    }

    private DefaultJWTProcessor<SecurityContext> processor() throws Exception {
        DefaultJWTProcessor<SecurityContext> known = processor;
        if (known == null) {
            JWKSource<SecurityContext> keys = JWKSourceBuilder.create(URI.create(discovery().path("jwks_uri").asText())
                    .toURL()).retrying(true).build();
            known = new DefaultJWTProcessor<>();
            known.setJWSKeySelector(new JWSVerificationKeySelector<>(Set.of(JWSAlgorithm.RS256, JWSAlgorithm.ES256,
                    JWSAlgorithm.PS256), keys));
            known.setJWTClaimsSetVerifier(new DefaultJWTClaimsVerifier<>(settings.clientId(),
                    new JWTClaimsSet.Builder().issuer(discovery().path("issuer").asText()).build(),
                    Set.of("sub", "iat", "exp", "nonce")));
            processor = known;
        }
        return known;
    }

    private static String enc(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    private static String form(Map<String, String> fields) {
        return fields.entrySet().stream().map(e -> enc(e.getKey()) + "=" + enc(e.getValue()))
                .collect(Collectors.joining("&"));
    }
}
