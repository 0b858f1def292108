package dev.codexledger.workspace;

import java.util.regex.Pattern;

/** Workspace ids: 1-64 characters of a-z, 0-9, '-' and '_', starting with a letter or digit. */
public final class WorkspaceId {

    public static final String RULE =
            "workspace ids are 1-64 characters of a-z, 0-9, '-' and '_', starting with a letter or digit";
    /**
     * The organisation's own workspace: records about org-wide keys and requests that named no valid
     * workspace. Written by the ledger only; its id can never be a tenant's (tenant ids start with a
     * letter or digit).
     */
    public static final String ORG = "_org";
    private static final Pattern PATTERN = Pattern.compile("[a-z0-9][a-z0-9_-]{0,63}");

    private WorkspaceId() {}

    public static boolean isValid(String id) {
        return id != null && PATTERN.matcher(id).matches();
    }

    /** A tenant workspace or {@link #ORG}: what may be read. */
    public static boolean isReadable(String id) {
        return ORG.equals(id) || isValid(id);
    }
}
