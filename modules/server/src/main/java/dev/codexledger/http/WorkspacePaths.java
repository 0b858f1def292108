package dev.codexledger.http;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.pathPrefix;
import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

import dev.codexledger.workspace.WorkspaceId;
import java.util.function.Function;
import java.util.function.Predicate;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The workspace id in a path, validated once for every route that takes one: an id that breaks
 * {@link WorkspaceId#RULE} is 400 naming {@code workspace}, before any key is looked at.
 */
public final class WorkspacePaths {

    private WorkspacePaths() {}

    /** {@code /{workspace}…}: a tenant's workspace. */
    public static Route workspace(Function<String, Route> inner) {
        return pathPrefix(segment(), workspace -> checked(workspace, WorkspaceId::isValid, inner));
    }

    /**
     * {@code /{workspace}/{section}…}: a tenant's workspace, checked only once {@code section} matched, so
     * the paths of other features under the same prefix still fall through to them.
     */
    public static Route workspace(String section, Function<String, Route> inner) {
        return pathPrefix(segment(), workspace -> pathPrefix(section, () ->
                checked(workspace, WorkspaceId::isValid, inner)));
    }

    /** As {@link #workspace(String, Function)}, where {@link WorkspaceId#ORG} may be read too. */
    public static Route readableWorkspace(String section, Function<String, Route> inner) {
        return pathPrefix(segment(), workspace -> pathPrefix(section, () ->
                checked(workspace, WorkspaceId::isReadable, inner)));
    }

    private static Route checked(String workspace, Predicate<String> valid, Function<String, Route> inner) {
        return valid.test(workspace) ? inner.apply(workspace)
                : complete(ApiErrors.badRequest(new BadRequest("workspace", WorkspaceId.RULE)));
    }
}
