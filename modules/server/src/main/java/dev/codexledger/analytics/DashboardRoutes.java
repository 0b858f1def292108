package dev.codexledger.analytics;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.getFromResource;
import static org.apache.pekko.http.javadsl.server.Directives.getFromResourceDirectory;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.Directives.pathPrefix;
import static org.apache.pekko.http.javadsl.server.Directives.pathSingleSlash;
import static org.apache.pekko.http.javadsl.server.Directives.respondWithHeaders;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Properties;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The admin dashboard: static files at {@code /} and {@code /dashboard/…} (from the jar), and Chart.js
 * at {@code /vendor/chart.umd.js} from its WebJar (a Maven dependency, so the build ships it; no CDN).
 * The page holds no data: it signs in with an API key kept in the tab's session storage and calls the
 * API. Its Content-Security-Policy allows only this origin's scripts, styles and connections.
 */
public final class DashboardRoutes {

    static final String CHART_JS = chartJsResource();
    private static final List<org.apache.pekko.http.javadsl.model.HttpHeader> HEADERS = List.of(
            RawHeader.create("Content-Security-Policy", "default-src 'self'; img-src 'self' data: blob:; "
                    + "object-src 'none'; frame-ancestors 'none'; base-uri 'none'"),
            RawHeader.create("X-Content-Type-Options", "nosniff"),
            RawHeader.create("Referrer-Policy", "no-referrer"),
            RawHeader.create("Cache-Control", "no-cache"));

    public Route routes() {
        return get(() -> respondWithHeaders(HEADERS, () -> concat(
                pathSingleSlash(() -> getFromResource("dashboard/index.html")),
                pathPrefix("dashboard", () -> getFromResourceDirectory("dashboard")),
                path(org.apache.pekko.http.javadsl.server.PathMatchers.segment("vendor")
                        .slash("chart.umd.js"), () -> CHART_JS == null
                        ? complete(StatusCodes.NOT_FOUND, "Chart.js is not on the classpath")
                        : getFromResource(CHART_JS)))));
    }

    /** Where the Chart.js WebJar keeps its browser bundle, whatever version the build brought. */
    private static String chartJsResource() {
        try (InputStream in = DashboardRoutes.class.getClassLoader()
                .getResourceAsStream("META-INF/maven/org.webjars.npm/chart.js/pom.properties")) {
            if (in == null) {
                return null;
            }
            Properties properties = new Properties();
            properties.load(in);
            return "META-INF/resources/webjars/chart.js/" + properties.getProperty("version") + "/dist/chart.umd.js";
        } catch (IOException e) {
            return null;
        }
    }
}
