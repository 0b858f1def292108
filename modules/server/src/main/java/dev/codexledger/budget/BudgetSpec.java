package dev.codexledger.budget;

import java.util.List;

/**
 * One budget of a workspace: the organisation pool ({@code org}), a team ({@code team:<name>}, whose
 * parent team, if any, is its department) or a user ({@code user:<id>}). A request is allowed only if
 * every budget above it has room.
 *
 * @param thresholds soft thresholds in percent of the cap, ascending (an alert when spending crosses each)
 */
public record BudgetSpec(String key, BudgetWindow window, long capMicros, List<Integer> thresholds, String parent) {

    public static final String ORG = "org";

    public BudgetSpec {
        thresholds = List.copyOf(thresholds);
    }

    public static String team(String name) {
        return "team:" + name;
    }

    public static String user(String id) {
        return "user:" + id;
    }

    /** "org", "team" or "user". */
    public static String levelOf(String key) {
        int colon = key.indexOf(':');
        return colon < 0 ? key : key.substring(0, colon);
    }

    public static String nameOf(String key) {
        int colon = key.indexOf(':');
        return colon < 0 ? key : key.substring(colon + 1);
    }
}
