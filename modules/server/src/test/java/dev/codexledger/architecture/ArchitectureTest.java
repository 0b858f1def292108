package dev.codexledger.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;
import dev.codexledger.http.ApiErrors;

/** Layering, checked: the domain knows no transport, storage details stay behind their owners. */
@AnalyzeClasses(packages = "dev.codexledger", importOptions = ImportOption.DoNotIncludeTests.class)
class ArchitectureTest {

    @ArchTest
    static final ArchRule featuresHaveNoCycles = slices().matching("dev.codexledger.(*)..").should().beFreeOfCycles();

    @ArchTest
    static final ArchRule theLedgerDomainKnowsNoTransportOrStorage = noClasses()
            .that().resideInAPackage("dev.codexledger.workspace..")
            .should().dependOnClassesThat().resideInAnyPackage(
                    "dev.codexledger.records..", "dev.codexledger.http..", "dev.codexledger.node..",
                    "dev.codexledger.auth..", "dev.codexledger.storage..",
                    "org.apache.pekko.http..", "com.datastax..");

    @ArchTest
    static final ArchRule routesNeverTalkToTheEntityDirectly = noClasses()
            .that().haveSimpleNameEndingWith("Routes")
            .should().dependOnClassesThat().haveFullyQualifiedName("org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding");

    @ArchTest
    static final ArchRule theEdgeNeverTouchesTheBudgetEntitysProtocol = noClasses()
            .that().haveSimpleNameEndingWith("Routes").or().resideInAPackage("dev.codexledger.http..")
            .should().dependOnClassesThat().haveNameMatching("dev\\.codexledger\\.budget\\.WorkspaceBudget\\$.*")
            .because("routes ask the Budgets facade, which answers domain results");

    @ArchTest
    static final ArchRule theEdgeNeverTouchesTheLedgerEntitysProtocol = noClasses()
            .that().haveSimpleNameEndingWith("Routes").or().resideInAPackage("dev.codexledger.http..")
            .should().dependOnClassesThat().haveNameMatching("dev\\.codexledger\\.workspace\\.WorkspaceLedger\\$.*")
            .because("transports ask the WorkspaceLedgers facade, which answers Appended");

    @ArchTest
    static final ArchRule failuresAreMappedOnceByTheHandler = noClasses()
            .that().resideOutsideOfPackage("dev.codexledger.http..")
            .should().callMethod(ApiErrors.class, "fromFailure", Throwable.class)
            .because("routes fail with the exception and the one handler in ApiErrors answers it");

    @ArchTest
    static final ArchRule budgetAndAnalyticsRefuseRequestsAsBadRequests = noClasses()
            .that().resideInAnyPackage("dev.codexledger.budget..", "dev.codexledger.analytics..")
            .should().dependOnClassesThat().haveFullyQualifiedName("dev.codexledger.records.InvalidRecords")
            .because("InvalidRecords is the records' own refusal; parameters elsewhere are http.BadRequest");

    @ArchTest
    static final ArchRule onlyTheNodeWiresEverything = noClasses()
            .that().resideOutsideOfPackage("dev.codexledger.node..")
            .should().dependOnClassesThat().resideInAPackage("dev.codexledger.node..");
}
