// Every test target that uses the database support also draws its random choices from the one seeded
// generator (LedgerTestRandom), without naming a second dependency.
@_exported import LedgerTestRandom
