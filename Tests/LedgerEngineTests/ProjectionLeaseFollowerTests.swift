import LedgerEngine
import LedgerPostgres
import Testing

/// The follower's side of the projection lease as a value, without threads or a database.
@Suite("projection lease: a follower steps aside for a rebuild")
struct ProjectionLeaseFollowerTests {
    @Test func aPauseWithARebuildWaitingReleasesThenResumesOnceTheRebuildIsGone() {
        var follower = ProjectionLease.Follower()
        follower.received(channel: ProjectionLease.channel, payload: "pause")
        #expect(follower.pauseAsked)
        let steps = [
            follower.observed(rebuildWaiting: true), follower.observed(rebuildWaiting: true),
            follower.observed(rebuildWaiting: false), follower.triedTakingBack(acquired: true),
        ]
        #expect(steps == [.release, .waitAside, .tryTakingBack, .resume])
        #expect(follower.phase == .writing)
        #expect(!follower.pauseAsked)
    }

    @Test func aStalePauseWithNoRebuildWaitingKeepsWriting() {
        var follower = ProjectionLease.Follower()
        follower.received(channel: ProjectionLease.channel, payload: "pause")
        let step = follower.observed(rebuildWaiting: false)
        #expect(step == .keepWriting)
        #expect(follower.phase == .writing)
        #expect(!follower.pauseAsked)
    }

    @Test func anotherWriterTakingTheLockFirstKeepsTheFollowerAside() {
        var follower = ProjectionLease.Follower()
        follower.received(channel: ProjectionLease.channel, payload: "pause")
        let steps = [
            follower.observed(rebuildWaiting: true), follower.observed(rebuildWaiting: false),
            follower.triedTakingBack(acquired: false),
        ]
        #expect(steps == [.release, .tryTakingBack, .waitAside])
        #expect(follower.phase == .steppedAside)
    }

    @Test func pauseRequestsWhileAsideAndOtherPayloadsAreIgnored() {
        var follower = ProjectionLease.Follower()
        follower.received(channel: ProjectionLease.channel, payload: "resume")
        follower.received(channel: ProjectionLease.channel, payload: "anything")
        #expect(!follower.pauseAsked)
        follower.received(channel: ProjectionLease.channel, payload: "pause")
        _ = follower.observed(rebuildWaiting: true)
        follower.received(channel: ProjectionLease.channel, payload: "pause")
        #expect(!follower.pauseAsked, "a request repeated while aside must not release twice")
        let step = follower.observed(rebuildWaiting: false)
        #expect(step == .tryTakingBack)
    }

    @Test func appendsAreTakenOnceAndForgottenOnResume() {
        var follower = ProjectionLease.Follower()
        follower.received(channel: EventStore.notificationChannel, payload: "")
        #expect(!follower.pauseAsked)
        let taken = [follower.takeAppended(), follower.takeAppended()]
        #expect(taken == [true, false])
        follower.received(channel: ProjectionLease.channel, payload: "pause")
        _ = follower.observed(rebuildWaiting: true)
        follower.received(channel: EventStore.notificationChannel, payload: "")
        _ = follower.observed(rebuildWaiting: false)
        let step = follower.triedTakingBack(acquired: true)
        #expect(step == .resume)
        let appended = follower.takeAppended()
        #expect(!appended, "the catch-up after resuming reads to the head anyway")
    }
}
