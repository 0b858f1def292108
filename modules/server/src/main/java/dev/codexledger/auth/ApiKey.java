package dev.codexledger.auth;

import dev.codexledger.workspace.Digest;
import java.time.Instant;
import java.util.Set;

/**
 * A stored key: everything but its secret, of which only the SHA-256 hash is kept. {@code workspace} is
 * one workspace id or {@link #ALL_WORKSPACES}. A key stops working at {@code expiresAt} (set by revocation,
 * or by a rotation with a grace period).
 */
public record ApiKey(String id, String name, String workspace, Set<Scope> scopes, Digest secretHash,
                     Instant createdAt, String createdBy, Instant expiresAt, Instant revokedAt) {

    public static final String ALL_WORKSPACES = "*";

    public ApiKey {
        scopes = Set.copyOf(scopes);
    }

    public boolean orgWide() {
        return ALL_WORKSPACES.equals(workspace);
    }

    public boolean isActive(Instant now) {
        return expiresAt == null || now.isBefore(expiresAt);
    }

    public boolean covers(String targetWorkspace) {
        return orgWide() || workspace.equals(targetWorkspace);
    }

    public boolean has(Scope scope) {
        return scopes.contains(scope);
    }

    ApiKey expiringAt(Instant when, Instant revoked) {
        return new ApiKey(id, name, workspace, scopes, secretHash, createdAt, createdBy, when, revoked);
    }
}
