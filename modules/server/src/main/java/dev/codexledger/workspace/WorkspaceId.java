package dev.codexledger.workspace;

import java.util.regex.Pattern;

/** Workspace ids: 1-64 characters of a-z, 0-9, '-' and '_', starting with a letter or digit. */
public final class WorkspaceId {

    public static final String RULE =
            "workspace ids are 1-64 characters of a-z, 0-9, '-' and '_', starting with a letter or digit";
    private static final Pattern PATTERN = Pattern.compile("[a-z0-9][a-z0-9_-]{0,63}");

    private WorkspaceId() {}

    public static boolean isValid(String id) {
        return id != null && PATTERN.matcher(id).matches();
    }
}
