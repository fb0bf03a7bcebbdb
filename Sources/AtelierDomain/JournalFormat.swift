// The journal format, version 1: the name under which every journaled value and each of its
// fields is stored, written out rather than taken from Swift identifiers.
//
// Events are stored as JSON (`SQLiteStore`, `event.payload`): `{"<event>": {"<field>": …}}`, where
// an unlabeled associated value is stored under `_0`. The names below are the format; they were
// those Swift synthesised until this file existed, so journals written before it load unchanged.
// Renaming a Swift case or property now fails to compile until its key here is renamed too, and
// the raw value (the stored name) stays as it is: never change a raw value. A new field needs a
// key here and must decode as optional (older journals lack it); a new event needs a case key and
// its field keys. `Tests/AtelierStoreTests/JournalFormatTests.swift` holds the bytes of every
// event as written today and a journal file written by this version, and checks both forever.

// MARK: - Events

extension EventBody {
    public enum CodingKeys: String, CodingKey {
        case workshopCreated = "workshopCreated"
        case participantJoined = "participantJoined"
        case cardAdded = "cardAdded"
        case cardEdited = "cardEdited"
        case cardMoved = "cardMoved"
        case cardDeleted = "cardDeleted"
        case voteCast = "voteCast"
        case voteRetracted = "voteRetracted"
        case phaseChanged = "phaseChanged"
        case participantAssigned = "participantAssigned"
        case rotationAdvanced = "rotationAdvanced"
        case hostAssigned = "hostAssigned"
        case participantRemoved = "participantRemoved"
        case participantErased = "participantErased"
        case timerStarted = "timerStarted"
        case timerPaused = "timerPaused"
        case timerResumed = "timerResumed"
        case timerStopped = "timerStopped"
        case timerEnded = "timerEnded"
        case announcementMade = "announcementMade"
        case workshopPaused = "workshopPaused"
        case workshopResumed = "workshopResumed"
        case workshopClosed = "workshopClosed"
        case viewFocused = "viewFocused"
        case settingsUpdated = "settingsUpdated"
        case votesRevealed = "votesRevealed"
        case votesClosed = "votesClosed"
        case announcementWithdrawn = "announcementWithdrawn"
        case projectorShown = "projectorShown"
        case cardsRevealed = "cardsRevealed"
        case clusterCreated = "clusterCreated"
        case clusterRenamed = "clusterRenamed"
        case cardClustered = "cardClustered"
        case commentAdded = "commentAdded"
        case commentDeleted = "commentDeleted"
        case cardHidden = "cardHidden"
        case cardRestored = "cardRestored"
        case boardLocked = "boardLocked"
        case boardUnlocked = "boardUnlocked"
        case projectCreated = "projectCreated"
        case projectUpdated = "projectUpdated"
        case projectStatusChanged = "projectStatusChanged"
        case projectSupported = "projectSupported"
        case projectSubmitted = "projectSubmitted"
        case dossierFollowed = "dossierFollowed"
        case webhookQueued = "webhookQueued"
        case webhookAttempted = "webhookAttempted"
        case webhookRedelivered = "webhookRedelivered"
        case groupOpened = "groupOpened"
        case groupEnded = "groupEnded"
        case groupInvited = "groupInvited"
        case groupInvitationRevoked = "groupInvitationRevoked"
        case workshopCarried = "workshopCarried"
    }
    public enum WorkshopCreatedCodingKeys: String, CodingKey { case _0 = "_0" }
    public enum ParticipantJoinedCodingKeys: String, CodingKey { case _0 = "_0" }
    public enum CardAddedCodingKeys: String, CodingKey { case _0 = "_0" }
    public enum CardEditedCodingKeys: String, CodingKey, CaseIterable { case card = "card"; case text = "text"; case version = "version" }
    public enum CardMovedCodingKeys: String, CodingKey, CaseIterable { case card = "card"; case x = "x"; case y = "y"; case column = "column"; case board = "board" }
    public enum CardDeletedCodingKeys: String, CodingKey, CaseIterable { case card = "card" }
    public enum VoteCastCodingKeys: String, CodingKey, CaseIterable { case card = "card"; case voter = "voter"; case phase = "phase"; case total = "total" }
    public enum VoteRetractedCodingKeys: String, CodingKey { case card = "card"; case voter = "voter"; case phase = "phase"; case total = "total" }
    public enum PhaseChangedCodingKeys: String, CodingKey { case phase = "phase" }
    public enum ParticipantAssignedCodingKeys: String, CodingKey { case participant = "participant"; case group = "group" }
    public enum RotationAdvancedCodingKeys: String, CodingKey { case boards = "boards"; case participants = "participants" }
    public enum HostAssignedCodingKeys: String, CodingKey { case board = "board"; case participant = "participant" }
    public enum ParticipantRemovedCodingKeys: String, CodingKey { case participant = "participant" }
    public enum ParticipantErasedCodingKeys: String, CodingKey { case participant = "participant" }
    public enum TimerStartedCodingKeys: String, CodingKey { case _0 = "_0" }
    public enum TimerPausedCodingKeys: String, CodingKey { case remaining = "remaining" }
    public enum TimerResumedCodingKeys: String, CodingKey { case endsAt = "endsAt" }
    public enum TimerStoppedCodingKeys: CodingKey {}
    public enum TimerEndedCodingKeys: CodingKey {}
    public enum AnnouncementMadeCodingKeys: String, CodingKey { case text = "text" }
    public enum WorkshopPausedCodingKeys: CodingKey {}
    public enum VotesClosedCodingKeys: CodingKey {}
    public enum AnnouncementWithdrawnCodingKeys: CodingKey {}
    public enum ProjectorShownCodingKeys: String, CodingKey { case mode = "mode"; case every = "every" }
    public enum WorkshopResumedCodingKeys: CodingKey {}
    public enum WorkshopClosedCodingKeys: CodingKey {}
    public enum ViewFocusedCodingKeys: String, CodingKey { case board = "board" }
    public enum SettingsUpdatedCodingKeys: String, CodingKey { case _0 = "_0" }
    public enum VotesRevealedCodingKeys: String, CodingKey { case counts = "counts" }
    public enum CardsRevealedCodingKeys: String, CodingKey { case cards = "cards" }
    public enum ClusterCreatedCodingKeys: String, CodingKey { case _0 = "_0"; case cards = "cards" }
    public enum ClusterRenamedCodingKeys: String, CodingKey { case cluster = "cluster"; case title = "title" }
    public enum CardClusteredCodingKeys: String, CodingKey, CaseIterable { case card = "card"; case cluster = "cluster" }
    public enum CommentAddedCodingKeys: String, CodingKey { case _0 = "_0" }
    public enum CommentDeletedCodingKeys: String, CodingKey { case comment = "comment" }
    public enum CardHiddenCodingKeys: String, CodingKey, CaseIterable { case card = "card" }
    public enum CardRestoredCodingKeys: String, CodingKey { case _0 = "_0" }
    public enum BoardLockedCodingKeys: String, CodingKey { case board = "board" }
    public enum BoardUnlockedCodingKeys: String, CodingKey { case board = "board" }
    public enum ProjectCreatedCodingKeys: String, CodingKey { case _0 = "_0" }
    public enum ProjectUpdatedCodingKeys: String, CodingKey { case project = "project"; case change = "change"; case version = "version" }
    public enum ProjectStatusChangedCodingKeys: String, CodingKey { case project = "project"; case status = "status"; case version = "version" }
    public enum ProjectSupportedCodingKeys: String, CodingKey { case project = "project"; case supporter = "supporter"; case support = "support" }
    public enum ProjectSubmittedCodingKeys: String, CodingKey { case project = "project"; case receipt = "receipt" }
    public enum DossierFollowedCodingKeys: String, CodingKey { case project = "project"; case reference = "reference"; case dossier = "dossier" }
    public enum WebhookQueuedCodingKeys: String, CodingKey { case _0 = "_0" }
    public enum WebhookAttemptedCodingKeys: String, CodingKey { case delivery = "delivery"; case attempt = "attempt" }
    public enum WebhookRedeliveredCodingKeys: String, CodingKey { case delivery = "delivery" }
    public enum GroupOpenedCodingKeys: String, CodingKey { case _0 = "_0" }
    public enum GroupEndedCodingKeys: String, CodingKey { case group = "group"; case reason = "reason"; case into = "into" }
    public enum GroupInvitedCodingKeys: String, CodingKey { case group = "group"; case invitation = "invitation" }
    public enum GroupInvitationRevokedCodingKeys: String, CodingKey { case group = "group"; case invitation = "invitation" }
    public enum WorkshopCarriedCodingKeys: String, CodingKey { case _0 = "_0" }
}

extension WorkingGroup {
    public enum CodingKeys: String, CodingKey {
        case group = "group"
        case board = "board"
        case purpose = "purpose"
        case endsAt = "endsAt"
    }
}

extension GroupInvitation {
    public enum CodingKeys: String, CodingKey {
        case id = "id"
        case digest = "digest"
        case createdAt = "createdAt"
    }
}

// MARK: - A carry (issue 14)

extension Carry {
    public enum CodingKeys: String, CodingKey { case source = "source"; case sourceTitle = "sourceTitle"; case items = "items"; case lineage = "lineage" }
}

extension CarriedItem {
    public enum CodingKeys: String, CodingKey { case kind = "kind"; case id = "id"; case from = "from"; case table = "table" }
}

extension ProjectLineage {
    public enum CodingKeys: String, CodingKey { case origin = "origin"; case stages = "stages" }
}

extension ProjectStage {
    public enum CodingKeys: String, CodingKey {
        case workshop = "workshop"; case workshopTitle = "workshopTitle"; case project = "project"; case table = "table"
        case entry = "entry"; case at = "at"; case problems = "problems"; case ideas = "ideas"; case cluster = "cluster"
        case steps = "steps"; case status = "status"
    }
}

extension StageStep {
    public enum CodingKeys: String, CodingKey { case kind = "kind"; case at = "at"; case status = "status" }
}

// MARK: - Values inside events

extension Group {
    public enum CodingKeys: String, CodingKey {
        case id = "id"
        case title = "title"
        case theme = "theme"
    }
}

extension Column {
    public enum CodingKeys: String, CodingKey {
        case id = "id"
        case title = "title"
        case kind = "kind"
    }
}

extension Board {
    public enum CodingKeys: String, CodingKey {
        case id = "id"
        case title = "title"
        case group = "group"
        case columns = "columns"
        case locked = "locked"
        case theme = "theme"
    }
}

extension Phase {
    public enum CodingKeys: String, CodingKey {
        case id = "id"
        case title = "title"
        case open = "open"
        case voting = "voting"
        case voteOn = "voteOn"
        case instructions = "instructions"
    }
}

extension Settings {
    public enum CodingKeys: String, CodingKey {
        case voteBudget = "voteBudget"
        case maxVotesPerCard = "maxVotesPerCard"
        case privateWriting = "privateWriting"
        case anonymous = "anonymous"
        case facilitatorSeesAuthors = "facilitatorSeesAuthors"
        case listOrganisations = "listOrganisations"
        case voteOwnCards = "voteOwnCards"
    }
}

extension SettingsChange {
    public enum CodingKeys: String, CodingKey {
        case voteBudget = "voteBudget"
        case maxVotesPerCard = "maxVotesPerCard"
        case privateWriting = "privateWriting"
        case anonymous = "anonymous"
        case facilitatorSeesAuthors = "facilitatorSeesAuthors"
        case listOrganisations = "listOrganisations"
        case voteOwnCards = "voteOwnCards"
    }
}

extension SeedCard {
    public enum CodingKeys: String, CodingKey {
        case board = "board"
        case column = "column"
        case text = "text"
    }
}

extension Blueprint {
    public enum CodingKeys: String, CodingKey {
        case id = "id"
        case title = "title"
        case plan = "plan"
        case groups = "groups"
        case boards = "boards"
        case phases = "phases"
        case settings = "settings"
        case rotation = "rotation"
        case orientations = "orientations"
        case timeZone = "timeZone"
        case form = "form"
    }
}

extension Profile {
    public enum CodingKeys: String, CodingKey {
        case name = "name"
        case organisation = "organisation"
    }
}

extension Participant {
    public enum CodingKeys: String, CodingKey {
        case id = "id"
        case role = "role"
        case actor = "actor"
        case group = "group"
        case profile = "profile"
        case removed = "removed"
        case guestOf = "guestOf"
    }
}

extension Card {
    public enum CodingKeys: String, CodingKey, CaseIterable {
        case id = "id"
        case board = "board"
        case column = "column"
        case text = "text"
        case x = "x"
        case y = "y"
        case color = "color"
        case author = "author"
        case version = "version"
        case cluster = "cluster"
        case createdSeq = "createdSeq"
        case isPrivate = "isPrivate"
        case hidden = "hidden"
    }
}

extension Cluster {
    public enum CodingKeys: String, CodingKey {
        case id = "id"
        case board = "board"
        case title = "title"
        case createdSeq = "createdSeq"
    }
}

extension Comment {
    public enum CodingKeys: String, CodingKey {
        case id = "id"
        case card = "card"
        case text = "text"
        case author = "author"
        case createdSeq = "createdSeq"
    }
}

extension Announcement {
    public enum CodingKeys: String, CodingKey {
        case text = "text"
        case at = "at"
        case seq = "seq"
    }
}

extension RoomTimer {
    public enum CodingKeys: String, CodingKey {
        case label = "label"
        case seconds = "seconds"
        case endsAt = "endsAt"
        case remaining = "remaining"
    }
}

extension Organisation {
    public enum CodingKeys: String, CodingKey {
        case name = "name"
        case actor = "actor"
        case siret = "siret"
    }
}

extension Partner {
    public enum CodingKeys: String, CodingKey {
        case name = "name"
        case actor = "actor"
        case role = "role"
    }
}

extension SupportRequest {
    public enum CodingKeys: String, CodingKey {
        case methodological = "methodological"
        case expertise = "expertise"
        case grant = "grant"
    }
}

extension ExpectedOutcomes {
    public enum CodingKeys: String, CodingKey {
        case insertionJobs = "insertionJobs"
        case peopleSupported = "peopleSupported"
        case other = "other"
    }
}

extension Contact {
    public enum CodingKeys: String, CodingKey {
        case name = "name"
        case email = "email"
        case phone = "phone"
    }
}

extension Receipt {
    public enum CodingKeys: String, CodingKey {
        case channel = "channel"
        case reference = "reference"
        case url = "url"
        case number = "number"
        case at = "at"
        case prefillToken = "prefillToken"
        case dossier = "dossier"
    }
}

extension DossierFollow {
    public enum CodingKeys: String, CodingKey {
        case state = "state"
        case submittedAt = "submittedAt"
        case processedAt = "processedAt"
        case statusAt = "statusAt"
    }
}

extension WebhookDelivery {
    public enum CodingKeys: String, CodingKey {
        case id = "id"
        case project = "project"
        case version = "version"
        case body = "body"
        case queuedAt = "queuedAt"
    }
}

extension WebhookAttempt {
    public enum CodingKeys: String, CodingKey {
        case at = "at"
        case status = "status"
        case error = "error"
        case nextAt = "nextAt"
    }
}

extension ProjectSheet {
    /// The sheet's identity keys. Its form values are stored beside them under their field ids
    /// (`title`, `summary`, `lead`… for today's form, `CallForm.legacy`), as they always were.
    public enum CodingKeys: String, CodingKey {
        case id = "id"
        case board = "board"
        case cluster = "cluster"
        case status = "status"
        case version = "version"
        case supporters = "supporters"
        case receipts = "receipts"
        case createdBy = "createdBy"
        case createdSeq = "createdSeq"
        case phase = "phase"
    }
}

// `ProjectChange` is stored as its fields by id (`{"title": …, "lead": null}`): a field cleared
// on purpose is `null` and comes back as `.null` ("set to nothing"), not as "unchanged".

extension Orientation {
    public enum CodingKeys: String, CodingKey {
        case id = "id"
        case title = "title"
    }
}

extension BoardPlacement {
    public enum CodingKeys: String, CodingKey {
        case board = "board"
        case group = "group"
    }
}

extension ParticipantPlacement {
    public enum CodingKeys: String, CodingKey {
        case participant = "participant"
        case group = "group"
    }
}

extension Event {
    public enum CodingKeys: String, CodingKey {
        case seq = "seq"
        case at = "at"
        case by = "by"
        case body = "body"
    }
}
