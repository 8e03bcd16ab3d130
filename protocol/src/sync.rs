//! The sync session as a state machine with no I/O.
//!
//! A round, always started by the agent:
//!
//! ```text
//! agent                              server
//! Hello{version, site, token}  ─▶   authenticate
//!  (or, the first time, Enroll{version, site, code, credential} ─▶ enroll)
//!                              ◀─   Welcome{push_cursor}
//! Push{docs after cursor}      ─▶   apply in one transaction, then
//!                              ◀─   PushAck{upto, need_full, refused}
//! ... until nothing is left to push ...
//! Pull{cursor, applied}        ─▶
//!                              ◀─   PullBatch{docs, upto, more}
//! ... until `more` is false and nothing needs resending ...
//! Done{applied}                ─▶   record acks, make a new checkpoint
//!                              ◀─   Bye{checkpoint}
//! ```
//!
//! Both sides keep the checkpoint of their last completed round. Hello
//! carries the agent's; when it is not head office's (either side was
//! restored from an older copy), Welcome asks the agent to reconcile: each
//! side forgets what it believed of the other, the agent sends a digest of
//! the heads of every document it holds (`Reconcile`, a batch at a time), head
//! office answers which it holds the same (`ReconcileAck`), both record those
//! as held, and the round goes on from cursor 0, sending only the documents
//! that differ, whole. A folder copied to another PC presents an older
//! checkpoint from another instance and is refused.
//!
//! Each side numbers its own document updates (a sequence) and remembers, per
//! peer, the highest of the peer's numbers it has committed (a cursor), and
//! per document the heads the peer is known to hold. So a round sends only the
//! documents changed since the cursor, and for each only the changes after the
//! peer's heads. Sessions are fed messages and answer with the message to
//! send; storage is reached through [`SyncStore`], which the agent and server
//! implement on SQLite and the tests may implement however they like.

use std::collections::VecDeque;

use chrono::{DateTime, Utc};

use crate::ids::{RecordId, SiteId};
use crate::wire::{
    is_hex, Checkpoint, Digest, DocPayload, ErrorCode, HeadsAck, Message, Refusal, Seq, CREDENTIAL_HEX_CHARS,
    FINGERPRINT_HEX_CHARS, MAX_BATCHES_PER_ROUND, MAX_BATCH_BYTES, MAX_BATCH_DOCS, MAX_DOC_BYTES,
    MAX_ENROLL_CODE_CHARS, MAX_HEADS, MAX_INSTANCE_CHARS, MAX_RECONCILE_DIGESTS, MAX_TOKEN_CHARS, PUSH_PIPELINE_DEPTH,
};
use crate::PROTOCOL_VERSION;

/// The peer name an agent's store uses for head office.
pub const SERVER_PEER: &str = "server";

/// The peer name a server's store uses for a site.
pub fn site_peer(site: SiteId) -> String {
    format!("site:{site}")
}

/// One batch of outgoing changes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outgoing {
    /// The changes the peer lacks.
    pub docs: Vec<DocPayload>,
    /// The highest local sequence number the batch covers.
    pub upto: Seq,
    /// Whether documents past `upto` remain.
    pub more: bool,
}

/// What applying a batch did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Applied {
    /// Heads now held for each document taken.
    pub held: Vec<HeadsAck>,
    /// Documents whose base was missing: they must come whole.
    pub need_full: Vec<RecordId>,
    /// Documents refused, with the reason.
    pub refused: Vec<Refusal>,
}

/// The storage a session needs. Every method is one transaction.
pub trait SyncStore {
    /// The store's own failure.
    type Error: std::error::Error + Send + Sync + 'static;

    /// The highest of `peer`'s sequence numbers this store has committed.
    fn cursor(&mut self, peer: &str) -> Result<Seq, Self::Error>;

    /// One batch of `site`'s documents changed after local sequence `after` that `peer` lacks.
    fn outgoing(&mut self, peer: &str, site: SiteId, after: Seq) -> Result<Outgoing, Self::Error>;

    /// Applies a batch from `peer`, whose documents must belong to `site`,
    /// and records `cursor` as `peer`'s position, all in one transaction.
    fn apply(&mut self, peer: &str, site: SiteId, docs: Vec<DocPayload>, cursor: Seq) -> Result<Applied, Self::Error>;

    /// `peer` now holds `held`; it needs the documents in `need_full` sent whole.
    fn acknowledge(&mut self, peer: &str, held: &[HeadsAck], need_full: &[RecordId]) -> Result<(), Self::Error>;

    /// The checkpoint agreed with `peer` at the end of the last completed
    /// round, and the instance of the peer that completed it. Every change to
    /// what this store believes of `peer` (cursor, heads held) makes it
    /// [`Checkpoint::changed_since`], in the same transaction, until the next
    /// round completes: so a copy of either side taken at any moment, put
    /// back, never agrees with the other side by mistake.
    fn checkpoint_with(&mut self, peer: &str) -> Result<Option<(Checkpoint, String)>, Self::Error>;

    /// Keeps the checkpoint agreed with `peer` (an instance of it).
    fn keep_checkpoint(&mut self, peer: &str, checkpoint: Checkpoint, instance: &str) -> Result<(), Self::Error>;

    /// Forgets what this store believed of `peer` (its cursor and the heads it
    /// holds), so a reconciliation starts from the truth.
    fn forget_peer(&mut self, peer: &str) -> Result<(), Self::Error>;

    /// Digests of the heads of `site`'s documents with ids after `after`, in id order, at most `limit`.
    fn digests(&mut self, site: SiteId, after: Option<RecordId>, limit: usize) -> Result<Vec<Digest>, Self::Error>;

    /// For each digest, whether this store holds `site`'s document with the
    /// same heads; those it does are recorded as held by `peer`.
    fn compare_digests(&mut self, peer: &str, site: SiteId, digests: &[Digest]) -> Result<Vec<bool>, Self::Error>;

    /// `peer` holds exactly what this store holds of these documents.
    fn mark_held(&mut self, peer: &str, ids: &[RecordId]) -> Result<(), Self::Error>;

    /// How many of `site`'s documents numbered after `after` `peer` has not
    /// confirmed holding as they are: what changed since a push, read by
    /// the sequence's index rather than over every document.
    fn unconfirmed_after(&mut self, peer: &str, site: SiteId, after: Seq) -> Result<u64, Self::Error>;
}

/// What head office needs beyond [`SyncStore`].
pub trait ServerStore: SyncStore {
    /// Checks a site's credential: `Ok(Ok(site name))`, or `Ok(Err(why))` when refused.
    fn authenticate(&mut self, site: SiteId, token: &str) -> Result<Result<String, String>, Self::Error>;

    /// Trades `site`'s one-time enrollment `code` for `credential` (whose hash
    /// becomes the site's credential): `Ok(Ok(site name))`, or `Ok(Err(why))`
    /// when the code is wrong, used by another agent, expired or revoked. The
    /// same code with the same credential again is accepted, so an agent whose
    /// answer was lost may retry.
    fn enroll(
        &mut self,
        site: SiteId,
        code: &str,
        credential: &str,
        now: DateTime<Utc>,
    ) -> Result<Result<String, String>, Self::Error>;

    /// The fingerprint of the certificate head office will move to, if a
    /// rotation is under way: announced to every site in its Welcome.
    fn next_fingerprint(&mut self) -> Result<Option<String>, Self::Error>;

    /// A round with `site` completed at `now`; `facts` says what the round
    /// learnt. Makes and keeps the next checkpoint (epoch after `after`, a
    /// fresh nonce) for the instance that completed it, and returns it.
    fn round_finished(
        &mut self,
        site: SiteId,
        now: DateTime<Utc>,
        facts: &RoundFacts,
        after: u64,
    ) -> Result<Checkpoint, Self::Error>;
}

/// What head office learns of a site in a completed round.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RoundFacts {
    /// How far the site's clock was ahead of head office's (negative: behind), in milliseconds.
    pub clock_offset_ms: i64,
    /// The next certificate fingerprint the site was told of and, having
    /// completed the round, now holds.
    pub holds_fingerprint: Option<String>,
    /// Which copy of the site's folder completed the round.
    pub instance: String,
    /// How the agent said it stands (protocol 5 agents; none from older ones).
    pub health: Option<crate::wire::Health>,
}

/// Why a session ended early.
#[derive(Debug, thiserror::Error)]
pub enum SessionError<E: std::error::Error + 'static> {
    /// Local storage failed.
    #[error("local storage failed: {0}")]
    Store(#[source] E),
    /// The peer sent something out of turn or malformed.
    #[error("protocol error: {0}")]
    Protocol(String),
    /// The peer broke a limit.
    #[error("limit exceeded: {0}")]
    Limit(String),
    /// The credential was refused.
    #[error("{0}")]
    Unauthorized(String),
    /// The versions differ.
    #[error("{0}")]
    Version(String),
    /// The peer ended the session with an error.
    #[error("head office refused the sync ({code:?}): {message}")]
    Remote {
        /// The peer's code.
        code: ErrorCode,
        /// The peer's words.
        message: String,
    },
}

impl<E: std::error::Error + 'static> SessionError<E> {
    /// The message that tells the peer why the session ends, if it should be told.
    pub fn to_wire(&self) -> Option<Message> {
        let (code, message) = match self {
            SessionError::Store(_) => (
                ErrorCode::Internal,
                "the other side's storage failed; the round was not completed, try again later".to_string(),
            ),
            SessionError::Protocol(m) => (ErrorCode::Protocol, m.clone()),
            SessionError::Limit(m) => (ErrorCode::LimitExceeded, m.clone()),
            SessionError::Unauthorized(m) => (ErrorCode::Unauthorized, m.clone()),
            SessionError::Version(m) => (ErrorCode::VersionMismatch, m.clone()),
            SessionError::Remote { .. } => return None,
        };
        Some(Message::Error { code, message })
    }
}

fn check_docs<E: std::error::Error>(docs: &[DocPayload]) -> Result<(), SessionError<E>> {
    if docs.len() > MAX_BATCH_DOCS {
        return Err(SessionError::Limit(format!(
            "a batch of {} documents is over the limit of {MAX_BATCH_DOCS}",
            docs.len()
        )));
    }
    // A sender stops growing a batch once it is past MAX_BATCH_BYTES, so one
    // document more than that is the most a batch may carry.
    let total: usize = docs.iter().map(|d| d.bytes.len()).sum();
    if total > MAX_BATCH_BYTES + MAX_DOC_BYTES {
        return Err(SessionError::Limit(format!(
            "a batch of {total} document bytes is over the limit of {}",
            MAX_BATCH_BYTES + MAX_DOC_BYTES
        )));
    }
    for d in docs {
        if d.bytes.len() > MAX_DOC_BYTES {
            return Err(SessionError::Limit(format!(
                "record {} is {} bytes, over the limit of {MAX_DOC_BYTES}",
                d.id,
                d.bytes.len()
            )));
        }
        if d.kind.chars().count() > crate::doc::MAX_KIND_CHARS {
            return Err(SessionError::Limit(format!(
                "record {} names a kind longer than {} characters",
                d.id,
                crate::doc::MAX_KIND_CHARS
            )));
        }
        if d.heads.is_empty() || d.heads.len() > MAX_HEADS {
            return Err(SessionError::Limit(format!(
                "record {} declares {} heads (1 to {MAX_HEADS} allowed)",
                d.id,
                d.heads.len()
            )));
        }
    }
    Ok(())
}

/// What one round did, for the agent to report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoundReport {
    /// The site's name at head office.
    pub site_name: String,
    /// Documents sent up.
    pub pushed: usize,
    /// Documents received.
    pub pulled: usize,
    /// Documents head office refused.
    pub refused_by_server: Vec<Refusal>,
    /// Documents from head office this agent refused.
    pub refused_here: Vec<Refusal>,
    /// Head office's clock when it welcomed the agent (milliseconds since 1970, UTC).
    pub server_time_ms: Option<i64>,
    /// The certificate fingerprint head office will move to, if it announced one.
    pub next_fingerprint: Option<String>,
    /// Whether the round reconciled (a side had been restored from an older copy).
    pub reconciled: bool,
}

/// A push batch sent and not yet acknowledged.
#[derive(Debug)]
struct InFlight {
    upto: Seq,
    sent: Vec<HeadsAck>,
}

#[derive(Debug)]
enum ClientState {
    New,
    AwaitWelcome,
    /// Reconciling: the batch of digests sent, and the push cursor Welcome gave.
    AwaitReconcileAck {
        sent: Vec<RecordId>,
        push_cursor: Seq,
    },
    /// Pushing: batches in flight, the position read up to, and whether nothing is left to read.
    Pushing {
        in_flight: VecDeque<InFlight>,
        read_upto: Seq,
        exhausted: bool,
    },
    AwaitPullBatch,
    AwaitBye,
    Finished,
}

/// The agent's side of one round.
#[derive(Debug)]
pub struct ClientSession {
    site_id: SiteId,
    token: String,
    instance: String,
    enroll_code: Option<String>,
    welcomed: bool,
    state: ClientState,
    batches: usize,
    report: RoundReport,
    health: Option<crate::wire::Health>,
    /// The last of this store's numbers the round's pushes read up to.
    pushed_upto: Seq,
}

impl ClientSession {
    /// A round for `site_id` with its credential.
    pub fn new(site_id: SiteId, token: String) -> Self {
        Self {
            site_id,
            token,
            instance: String::new(),
            enroll_code: None,
            welcomed: false,
            state: ClientState::New,
            batches: 0,
            report: RoundReport::default(),
            health: None,
            pushed_upto: 0,
        }
    }

    /// Reports `health` to head office at the end of the round (Finish in
    /// place of Done); its `records_waiting` is counted then: the documents
    /// changed here since the round's pushes that head office does not hold.
    pub fn with_health(mut self, health: crate::wire::Health) -> Self {
        self.health = Some(health);
        self
    }

    /// A round that first enrolls: it trades `code` for `token`, the credential
    /// the agent made (and stored) for itself, then syncs as usual.
    pub fn enrolling(site_id: SiteId, token: String, code: String) -> Self {
        Self { enroll_code: Some(code), ..Self::new(site_id, token) }
    }

    /// Names which copy of the site's folder this agent is (see [`Message::Hello`]).
    pub fn with_instance(mut self, instance: String) -> Self {
        self.instance = instance;
        self
    }

    /// The first message of the round, sent at `now` by the agent's clock,
    /// with the checkpoint `store` keeps of the last round.
    pub fn start<S: SyncStore>(
        &mut self,
        store: &mut S,
        now: DateTime<Utc>,
    ) -> Result<Message, SessionError<S::Error>> {
        let sent_at_ms = now.timestamp_millis();
        assert!(matches!(self.state, ClientState::New), "a session starts once");
        let checkpoint = store.checkpoint_with(SERVER_PEER).map_err(SessionError::Store)?.map(|(c, _)| c);
        self.state = ClientState::AwaitWelcome;
        Ok(match &self.enroll_code {
            Some(code) => Message::Enroll {
                protocol_version: PROTOCOL_VERSION,
                site_id: self.site_id,
                code: code.clone(),
                credential: self.token.clone(),
                sent_at_ms,
                instance: self.instance.clone(),
            },
            None => Message::Hello {
                protocol_version: PROTOCOL_VERSION,
                site_id: self.site_id,
                token: self.token.clone(),
                sent_at_ms,
                checkpoint,
                instance: self.instance.clone(),
            },
        })
    }

    /// The next batch of digests to reconcile, after `after`.
    fn reconcile_batch<S: SyncStore>(
        &mut self,
        store: &mut S,
        after: Option<RecordId>,
        push_cursor: Seq,
    ) -> Result<Vec<Message>, SessionError<S::Error>> {
        self.count_batch()?;
        let digests = store.digests(self.site_id, after, MAX_RECONCILE_DIGESTS).map_err(SessionError::Store)?;
        let sent = digests.iter().map(|d| d.id).collect();
        self.state = ClientState::AwaitReconcileAck { sent, push_cursor };
        Ok(vec![Message::Reconcile { digests }])
    }

    /// Whether head office accepted the credential (or enrollment) this round.
    pub fn admitted(&self) -> bool {
        self.welcomed
    }

    /// Whether the round completed.
    pub fn is_finished(&self) -> bool {
        matches!(self.state, ClientState::Finished)
    }

    /// What the round did so far.
    pub fn report(&self) -> &RoundReport {
        &self.report
    }

    fn count_batch<E: std::error::Error>(&mut self) -> Result<(), SessionError<E>> {
        self.batches += 1;
        if self.batches > MAX_BATCHES_PER_ROUND {
            return Err(SessionError::Limit(format!("the round exchanged more than {MAX_BATCHES_PER_ROUND} batches")));
        }
        Ok(())
    }

    /// Fills the push pipeline from the store; once nothing is in flight and
    /// nothing is left, moves on to pulling.
    fn fill<S: SyncStore>(
        &mut self,
        store: &mut S,
        mut in_flight: VecDeque<InFlight>,
        mut read_upto: Seq,
        mut exhausted: bool,
    ) -> Result<Vec<Message>, SessionError<S::Error>> {
        let mut out = Vec::new();
        while !exhausted && in_flight.len() < PUSH_PIPELINE_DEPTH {
            let batch = store.outgoing(SERVER_PEER, self.site_id, read_upto).map_err(SessionError::Store)?;
            read_upto = batch.upto.max(read_upto);
            if batch.docs.is_empty() {
                exhausted = true;
                break;
            }
            self.count_batch()?;
            self.report.pushed += batch.docs.len();
            let sent = batch.docs.iter().map(|d| HeadsAck { id: d.id, heads: d.heads.clone() }).collect();
            in_flight.push_back(InFlight { upto: batch.upto, sent });
            out.push(Message::Push { docs: batch.docs, upto: batch.upto });
        }
        if exhausted && in_flight.is_empty() {
            self.pushed_upto = read_upto;
            self.state = ClientState::AwaitPullBatch;
            let cursor = store.cursor(SERVER_PEER).map_err(SessionError::Store)?;
            out.push(Message::Pull { cursor, applied: Vec::new(), need_full: Vec::new() });
        } else {
            self.state = ClientState::Pushing { in_flight, read_upto, exhausted };
        }
        Ok(out)
    }

    /// Feeds a message from the server; answers with the messages to send
    /// next, none once the round is complete (see [`Self::is_finished`]).
    pub fn handle<S: SyncStore>(
        &mut self,
        store: &mut S,
        message: Message,
    ) -> Result<Vec<Message>, SessionError<S::Error>> {
        if let Message::Error { code, message } = message {
            self.state = ClientState::Finished;
            return Err(SessionError::Remote { code, message });
        }
        match (std::mem::replace(&mut self.state, ClientState::Finished), message) {
            (
                ClientState::AwaitWelcome,
                Message::Welcome { site_name, push_cursor, server_time_ms, next_fingerprint, reconcile },
            ) => {
                if next_fingerprint.as_ref().is_some_and(|f| !is_hex(f, FINGERPRINT_HEX_CHARS)) {
                    return Err(SessionError::Protocol(format!(
                        "the next fingerprint in Welcome is not {FINGERPRINT_HEX_CHARS} hex digits"
                    )));
                }
                self.report.site_name = site_name;
                self.report.server_time_ms = Some(server_time_ms);
                self.report.next_fingerprint = next_fingerprint;
                self.welcomed = true;
                if reconcile {
                    self.report.reconciled = true;
                    store.forget_peer(SERVER_PEER).map_err(SessionError::Store)?;
                    return self.reconcile_batch(store, None, push_cursor);
                }
                self.fill(store, VecDeque::new(), push_cursor, false)
            }
            (ClientState::AwaitReconcileAck { sent, push_cursor }, Message::ReconcileAck { same }) => {
                if same.len() != sent.len().div_ceil(8) {
                    return Err(SessionError::Protocol(format!(
                        "ReconcileAck holds {} bytes for {} digests",
                        same.len(),
                        sent.len()
                    )));
                }
                let held: Vec<RecordId> = sent
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| same[i / 8] & (1 << (i % 8)) != 0)
                    .map(|(_, id)| *id)
                    .collect();
                store.mark_held(SERVER_PEER, &held).map_err(SessionError::Store)?;
                if sent.len() == MAX_RECONCILE_DIGESTS {
                    return self.reconcile_batch(store, sent.last().copied(), push_cursor);
                }
                self.fill(store, VecDeque::new(), push_cursor, false)
            }
            (
                ClientState::Pushing { mut in_flight, read_upto, exhausted },
                Message::PushAck { upto, need_full, refused },
            ) => {
                let Some(batch) = in_flight.pop_front().filter(|b| b.upto == upto) else {
                    return Err(SessionError::Protocol(format!("PushAck for {upto} does not match the batch sent")));
                };
                let held: Vec<HeadsAck> = batch
                    .sent
                    .into_iter()
                    .filter(|h| !need_full.contains(&h.id) && !refused.iter().any(|r| r.id == h.id))
                    .collect();
                store.acknowledge(SERVER_PEER, &held, &need_full).map_err(SessionError::Store)?;
                self.report.refused_by_server.extend(refused);
                // Documents to resend whole got new sequence numbers: read on for them.
                self.fill(store, in_flight, read_upto, exhausted && need_full.is_empty())
            }
            (ClientState::AwaitPullBatch, Message::PullBatch { docs, upto, more }) => {
                check_docs(&docs)?;
                self.count_batch()?;
                self.report.pulled += docs.len();
                let applied = store.apply(SERVER_PEER, self.site_id, docs, upto).map_err(SessionError::Store)?;
                self.report.pulled = self.report.pulled.saturating_sub(applied.need_full.len() + applied.refused.len());
                self.report.refused_here.extend(applied.refused);
                if more || !applied.need_full.is_empty() {
                    self.state = ClientState::AwaitPullBatch;
                    Ok(vec![Message::Pull { cursor: upto, applied: applied.held, need_full: applied.need_full }])
                } else {
                    self.state = ClientState::AwaitBye;
                    Ok(vec![match self.health.take() {
                        Some(mut health) => {
                            health.records_waiting = store
                                .unconfirmed_after(SERVER_PEER, self.site_id, self.pushed_upto)
                                .map_err(SessionError::Store)?;
                            Message::Finish { applied: applied.held, health }
                        }
                        None => Message::Done { applied: applied.held },
                    }])
                }
            }
            (ClientState::AwaitBye, Message::Bye { checkpoint }) => {
                store.keep_checkpoint(SERVER_PEER, checkpoint, "").map_err(SessionError::Store)?;
                Ok(Vec::new())
            }
            (state, message) => Err(SessionError::Protocol(format!(
                "unexpected {} while {}",
                message_name(&message),
                client_state_name(&state)
            ))),
        }
    }
}

fn client_state_name(state: &ClientState) -> &'static str {
    match state {
        ClientState::New => "not started",
        ClientState::AwaitWelcome => "waiting for Welcome",
        ClientState::AwaitReconcileAck { .. } => "reconciling",
        ClientState::Pushing { .. } => "pushing",
        ClientState::AwaitPullBatch => "waiting for PullBatch",
        ClientState::AwaitBye => "waiting for Bye",
        ClientState::Finished => "finished",
    }
}

/// A message's name, for error text.
pub fn message_name(message: &Message) -> &'static str {
    match message {
        Message::Hello { .. } => "Hello",
        Message::Enroll { .. } => "Enroll",
        Message::Welcome { .. } => "Welcome",
        Message::Push { .. } => "Push",
        Message::PushAck { .. } => "PushAck",
        Message::Pull { .. } => "Pull",
        Message::PullBatch { .. } => "PullBatch",
        Message::Done { .. } => "Done",
        Message::Finish { .. } => "Finish",
        Message::Bye { .. } => "Bye",
        Message::Reconcile { .. } => "Reconcile",
        Message::ReconcileAck { .. } => "ReconcileAck",
        Message::Error { .. } => "Error",
    }
}

#[derive(Debug, Clone, Copy)]
enum ServerState {
    AwaitHello,
    Ready { site: SiteId },
    Closed,
}

/// Head office's side of one round with one site.
#[derive(Debug)]
pub struct ServerSession {
    state: ServerState,
    batches: usize,
    facts: RoundFacts,
    /// The higher of the two sides' checkpoint epochs at Hello.
    epoch: u64,
}

impl Default for ServerSession {
    fn default() -> Self {
        Self::new()
    }
}

impl ServerSession {
    /// A session waiting for the agent's Hello.
    pub fn new() -> Self {
        Self { state: ServerState::AwaitHello, batches: 0, facts: RoundFacts::default(), epoch: 0 }
    }

    /// The authenticated site, once Hello was accepted.
    pub fn site(&self) -> Option<SiteId> {
        match self.state {
            ServerState::Ready { site } => Some(site),
            _ => None,
        }
    }

    /// Whether the round is over (completed or failed).
    pub fn is_closed(&self) -> bool {
        matches!(self.state, ServerState::Closed)
    }

    /// Feeds a message from the agent; answers with the reply. On an error the
    /// session is closed, and [`SessionError::to_wire`] gives what to tell the agent.
    pub fn handle<S: ServerStore>(
        &mut self,
        store: &mut S,
        message: Message,
        now: DateTime<Utc>,
    ) -> Result<Message, SessionError<S::Error>> {
        let state = std::mem::replace(&mut self.state, ServerState::Closed);
        let reply = self.handle_in(state, store, message, now)?;
        Ok(reply)
    }

    fn handle_in<S: ServerStore>(
        &mut self,
        state: ServerState,
        store: &mut S,
        message: Message,
        now: DateTime<Utc>,
    ) -> Result<Message, SessionError<S::Error>> {
        match (state, message) {
            (
                ServerState::AwaitHello,
                Message::Hello { protocol_version, site_id, token, sent_at_ms, checkpoint, instance },
            ) => {
                check_version(protocol_version)?;
                self.facts.clock_offset_ms = sent_at_ms.saturating_sub(now.timestamp_millis());
                if token.chars().count() > MAX_TOKEN_CHARS {
                    return Err(SessionError::Limit(format!("token longer than {MAX_TOKEN_CHARS} characters")));
                }
                check_instance(&instance)?;
                let verdict = store.authenticate(site_id, &token).map_err(SessionError::Store)?;
                let site_name = verdict.map_err(SessionError::Unauthorized)?;
                let peer = site_peer(site_id);
                let kept = store.checkpoint_with(&peer).map_err(SessionError::Store)?;
                let reconcile = match (&kept, checkpoint) {
                    (None, None) => false,
                    (Some((kept, _)), Some(given)) if kept.is_current() && *kept == given => false,
                    (Some((kept, holder)), given) => {
                        // Behind head office's checkpoint, from another copy of the folder than
                        // the one that completed the last round: two agents share one site.
                        let behind = given.is_none_or(|g| g.epoch < kept.epoch);
                        if behind && !holder.is_empty() && !instance.is_empty() && *holder != instance {
                            return Err(SessionError::Unauthorized(COPIED_FOLDER.to_string()));
                        }
                        true
                    }
                    (None, Some(_)) => true,
                };
                self.epoch = kept.map(|(c, _)| c.epoch).max(checkpoint.map(|c| c.epoch)).unwrap_or(0);
                self.facts.instance = instance;
                self.welcome(store, site_id, site_name, reconcile, now)
            }
            (
                ServerState::AwaitHello,
                Message::Enroll { protocol_version, site_id, code, credential, sent_at_ms, instance },
            ) => {
                check_version(protocol_version)?;
                self.facts.clock_offset_ms = sent_at_ms.saturating_sub(now.timestamp_millis());
                check_instance(&instance)?;
                if code.chars().count() > MAX_ENROLL_CODE_CHARS {
                    return Err(SessionError::Limit(format!(
                        "enrollment code longer than {MAX_ENROLL_CODE_CHARS} characters"
                    )));
                }
                if !is_hex(&credential, CREDENTIAL_HEX_CHARS) {
                    return Err(SessionError::Protocol(format!(
                        "the new credential must be {CREDENTIAL_HEX_CHARS} hex digits"
                    )));
                }
                let verdict = store.enroll(site_id, &code, &credential, now).map_err(SessionError::Store)?;
                let site_name = verdict.map_err(SessionError::Unauthorized)?;
                // A site enrolled again (a copy chosen to keep, a new PC) reconciles first.
                let kept = store.checkpoint_with(&site_peer(site_id)).map_err(SessionError::Store)?;
                self.epoch = kept.as_ref().map_or(0, |(c, _)| c.epoch);
                self.facts.instance = instance;
                self.welcome(store, site_id, site_name, kept.is_some(), now)
            }
            (ServerState::Ready { site }, Message::Reconcile { digests }) => {
                self.count_batch()?;
                if digests.len() > MAX_RECONCILE_DIGESTS {
                    return Err(SessionError::Limit(format!(
                        "a Reconcile of {} digests is over the limit of {MAX_RECONCILE_DIGESTS}",
                        digests.len()
                    )));
                }
                let same = store.compare_digests(&site_peer(site), site, &digests).map_err(SessionError::Store)?;
                let mut bits = vec![0u8; same.len().div_ceil(8)];
                for (i, held) in same.iter().enumerate() {
                    if *held {
                        bits[i / 8] |= 1 << (i % 8);
                    }
                }
                self.state = ServerState::Ready { site };
                Ok(Message::ReconcileAck { same: bits })
            }
            (ServerState::Ready { site }, Message::Push { docs, upto }) => {
                check_docs(&docs)?;
                self.count_batch()?;
                let applied = store.apply(&site_peer(site), site, docs, upto).map_err(SessionError::Store)?;
                self.state = ServerState::Ready { site };
                Ok(Message::PushAck { upto, need_full: applied.need_full, refused: applied.refused })
            }
            (ServerState::Ready { site }, Message::Pull { cursor, applied, need_full }) => {
                self.count_batch()?;
                let peer = site_peer(site);
                store.acknowledge(&peer, &applied, &need_full).map_err(SessionError::Store)?;
                let out = store.outgoing(&peer, site, cursor).map_err(SessionError::Store)?;
                self.state = ServerState::Ready { site };
                Ok(Message::PullBatch { docs: out.docs, upto: out.upto.max(cursor), more: out.more })
            }
            (ServerState::Ready { site }, Message::Finish { applied, health }) => {
                let too_long = |text: &str, max| text.chars().count() > max;
                if too_long(&health.version, crate::wire::MAX_HEALTH_VERSION_CHARS)
                    || too_long(&health.last_error, crate::wire::MAX_HEALTH_ERROR_CHARS)
                {
                    return Err(SessionError::Limit("the agent's health report is longer than allowed".into()));
                }
                self.facts.health = Some(health);
                store.acknowledge(&site_peer(site), &applied, &[]).map_err(SessionError::Store)?;
                let checkpoint =
                    store.round_finished(site, now, &self.facts, self.epoch).map_err(SessionError::Store)?;
                Ok(Message::Bye { checkpoint })
            }
            (ServerState::Ready { site }, Message::Done { applied }) => {
                store.acknowledge(&site_peer(site), &applied, &[]).map_err(SessionError::Store)?;
                let checkpoint =
                    store.round_finished(site, now, &self.facts, self.epoch).map_err(SessionError::Store)?;
                Ok(Message::Bye { checkpoint })
            }
            (ServerState::AwaitHello, other) => {
                Err(SessionError::Protocol(format!("expected Hello or Enroll first, got {}", message_name(&other))))
            }
            (_, other) => Err(SessionError::Protocol(format!("unexpected {}", message_name(&other)))),
        }
    }

    fn welcome<S: ServerStore>(
        &mut self,
        store: &mut S,
        site_id: SiteId,
        site_name: String,
        reconcile: bool,
        now: DateTime<Utc>,
    ) -> Result<Message, SessionError<S::Error>> {
        if reconcile {
            store.forget_peer(&site_peer(site_id)).map_err(SessionError::Store)?;
        }
        let push_cursor = store.cursor(&site_peer(site_id)).map_err(SessionError::Store)?;
        let next_fingerprint = store.next_fingerprint().map_err(SessionError::Store)?;
        self.facts.holds_fingerprint.clone_from(&next_fingerprint);
        self.state = ServerState::Ready { site: site_id };
        Ok(Message::Welcome {
            site_name,
            push_cursor,
            server_time_ms: now.timestamp_millis(),
            next_fingerprint,
            reconcile,
        })
    }

    fn count_batch<E: std::error::Error>(&mut self) -> Result<(), SessionError<E>> {
        self.batches += 1;
        if self.batches > MAX_BATCHES_PER_ROUND {
            return Err(SessionError::Limit(format!("the round exchanged more than {MAX_BATCHES_PER_ROUND} batches")));
        }
        Ok(())
    }
}

/// Why a copy of a site's folder on another PC is refused.
pub const COPIED_FOLDER: &str = "another copy of this site's data folder has synced with head office since this one \
was copied (or this folder was moved to another PC and restored from an older copy); this copy keeps everything it \
holds but cannot sync, so that neither copy's records are lost. If this copy is the one to keep, ask head office \
to run `wuye-server site rotate SITE` and run `wuye-agent enroll CODE` here: it then sends everything it holds and \
the other copy is refused; otherwise stop using this copy";

fn check_instance<E: std::error::Error>(instance: &str) -> Result<(), SessionError<E>> {
    if instance.chars().count() > MAX_INSTANCE_CHARS {
        return Err(SessionError::Limit(format!("instance name longer than {MAX_INSTANCE_CHARS} characters")));
    }
    Ok(())
}

/// Checks an agent's protocol version against the range head office serves,
/// saying which side to upgrade.
pub fn check_version<E: std::error::Error>(protocol_version: u32) -> Result<(), SessionError<E>> {
    let served = crate::MIN_AGENT_PROTOCOL_VERSION..=PROTOCOL_VERSION;
    if protocol_version < *served.start() {
        return Err(SessionError::Version(format!(
            "this site's wuye-agent speaks protocol version {protocol_version}, older than head office serves \
             (versions {} to {}): upgrade wuye-agent at this site; it keeps working offline meanwhile",
            served.start(),
            served.end()
        )));
    }
    if protocol_version > *served.end() {
        return Err(SessionError::Version(format!(
            "this site's wuye-agent speaks protocol version {protocol_version}, newer than head office serves \
             (versions {} to {}): upgrade wuye-server at head office; this site keeps working offline meanwhile",
            served.start(),
            served.end()
        )));
    }
    Ok(())
}
