package dev.codexledger.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Metric labels carry route templates: never a workspace, a key id or a made-up path. */
class RouteTemplatesTest {

    @Test
    void pathsBecomeTheirTemplates() {
        assertEquals("/v1/workspaces/{workspace}/records", RouteTemplates.of("/v1/workspaces/acme/records"));
        assertEquals("/v1/workspaces/{workspace}/records", RouteTemplates.of("/v1/workspaces/records/records"));
        assertEquals("/v1/workspaces/{workspace}/records/export", RouteTemplates.of("/v1/workspaces/x/records/export"));
        assertEquals("/v1/logs", RouteTemplates.of("/v1/logs"));
        assertEquals("/v1/admin/keys/{id}/rotate", RouteTemplates.of("/v1/admin/keys/k_123/rotate"));
        assertEquals("/v1/admin/log/keys/rotate", RouteTemplates.of("/v1/admin/log/keys/rotate"));
        assertEquals("/v1/budget/workspaces/{workspace}/reservations/{id}/settle",
                RouteTemplates.of("/v1/budget/workspaces/acme/reservations/r-9f2/settle"));
        assertEquals("/v1/analytics/codex/workspaces/{workspace}/exports/{id}",
                RouteTemplates.of("/v1/analytics/codex/workspaces/acme/exports/daily_users_by_surface"));
        assertEquals("/dashboard/{asset}", RouteTemplates.of("/dashboard/app.js"));
        assertEquals("/", RouteTemplates.of("/"));
    }

    @Test
    void unknownPathsStayBounded() {
        assertEquals("/{id}/{id}", RouteTemplates.of("/wp-admin/setup.php"));
        assertEquals("/v1/{id}", RouteTemplates.of("/v1/anything-at-all"));
        assertEquals("other", RouteTemplates.of("/a/b/c/d/e/f/g/h/i/j"));
        assertEquals("/v1/workspaces/", RouteTemplates.of("/v1/workspaces/"));
    }
}
