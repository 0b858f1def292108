package dev.codexledger.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.tngtech.archunit.core.domain.JavaCall;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.properties.HasName;
import com.tngtech.archunit.core.domain.properties.HasOwner;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import dev.codexledger.http.ApiErrors;

/** Layering, checked: the domain knows no transport, storage details stay behind their owners. */
@AnalyzeClasses(packages = "dev.codexledger", importOptions = ImportOption.DoNotIncludeTests.class)
class ArchitectureTest {

    @ArchTest
    static final ArchRule consistencyComesFromConfig = noClasses()
            .should().callMethodWhere(JavaCall.Predicates.target(HasOwner.Predicates.With.owner(
                    JavaClass.Predicates.assignableTo("com.datastax.oss.driver.api.core.cql.Statement")))
                    .and(JavaCall.Predicates.target(HasName.Predicates.nameMatching(
                            "setConsistencyLevel|setSerialConsistencyLevel|setExecutionProfileName"))))
            .because("every read and write uses ledger.cassandra.consistency / serial-consistency, which"
                    + " Storage sets on every driver profile (StorageTest)");

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
    static final ArchRule onlyTheStepAfterAWriteWritesRecords = noClasses()
            .that().resideOutsideOfPackages("dev.codexledger.records..", "dev.codexledger.pipeline..")
            .should().callMethodWhere(JavaCall.Predicates.target(HasOwner.Predicates.With.owner(
                    JavaClass.Predicates.assignableTo("dev.codexledger.records.RecordStore")))
                    .and(JavaCall.Predicates.target(HasName.Predicates.nameMatching("write|presentSeqs"))))
            .because("a batch's rows are written by AfterWrite, with the steps that must be stored with them");

    @ArchTest
    static final ArchRule readBacksUseTheNarrowReadApi = noClasses()
            .that().resideInAnyPackage("dev.codexledger.budget..", "dev.codexledger.analytics..",
                    "dev.codexledger.pipeline..")
            .should().dependOnClassesThat().haveFullyQualifiedName("dev.codexledger.records.RecordSearch")
            .orShould().dependOnClassesThat().haveFullyQualifiedName("dev.codexledger.records.RecordQuery")
            .orShould().dependOnClassesThat().haveFullyQualifiedName("dev.codexledger.records.RecordPage")
            .because("features read back a range of seqs with RecordStore.between, not the search API's pages");

    @ArchTest
    static final ArchRule recordContentIsParsedAtTheEdgeOnly = noClasses()
            .that().resideInAnyPackage("dev.codexledger.budget..", "dev.codexledger.analytics..",
                    "dev.codexledger.pipeline..", "dev.codexledger.workspace..")
            .and().haveNameNotMatching("dev\\.codexledger\\.workspace\\.RecordFacts(\\$.*)?")
            .and().haveSimpleNameNotEndingWith("Routes")
            .should().dependOnClassesThat().haveFullyQualifiedName("com.fasterxml.jackson.core.JsonParser")
            .orShould().callMethodWhere(JavaCall.Predicates.target(HasName.Predicates.name("readTree")))
            .because("a record's facts are read once, where it is decoded; read-backs use RecordFacts.read");

    @ArchTest
    static final ArchRule theDomainKnowsNoFeature = noClasses()
            .that().resideInAPackage("dev.codexledger.workspace..")
            .should().dependOnClassesThat().resideInAnyPackage("dev.codexledger.budget..",
                    "dev.codexledger.analytics..", "dev.codexledger.compliance..", "dev.codexledger.pipeline..");

    /** Every table is created in one place (ArchUnit sees no strings: the sources are read). */
    @Test
    void onlyTheSchemaCreatesTables() throws IOException {
        Path main = Path.of("src/main/java");
        try (Stream<Path> files = Files.walk(main)) {
            List<Path> creating = files.filter(file -> file.toString().endsWith(".java"))
                    .filter(file -> read(file).contains("CREATE TABLE"))
                    .map(main::relativize).toList();
            assertEquals(List.of(Path.of("dev/codexledger/storage/LedgerSchema.java")), creating);
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

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
