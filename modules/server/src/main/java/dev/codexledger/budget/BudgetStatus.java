package dev.codexledger.budget;

import java.util.List;
import java.util.Map;

/**
 * A workspace's budgets as they stand: each budget's spec and level now, team membership, the
 * thresholds fired in the current windows ({@code key@percent%}), and how far records were counted.
 */
public record BudgetStatus(List<BudgetSpec> budgets, Map<String, String> members, List<BudgetBook.Level> levels,
                           List<String> firedThisWindow, long countedThroughSeq, String spendFrom) {

    /** The thresholds (percent) of a budget crossed in its current window, lowest first. */
    public List<Integer> thresholdsCrossed(String budgetKey) {
        return firedThisWindow.stream().filter(f -> f.startsWith(budgetKey + "@"))
                .map(f -> Integer.parseInt(f.substring(budgetKey.length() + 1, f.length() - 1)))
                .sorted().toList();
    }
}
