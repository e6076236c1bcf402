//! Group commit of posts: one task per store writes the queued posts in one transaction.
//!
//! Every post locks its flow's counter row until commit, so posts to one flow cannot run in
//! parallel transactions anyway; with one transaction each they only queued on that lock and
//! each paid its own WAL flush. Here a burst of posts shares one transaction and one flush,
//! like the SQLite writer. A group of plain posts is written set-wise (`post_set`: one id
//! block per flow, the threads read in one query, every write sent together); when it fails,
//! or a post carries an idempotency key or names a thread by id, the group runs post by post,
//! each inside its own savepoint, so one failing post (a thread that does not exist) does not
//! undo its neighbours. Each caller is answered only after the group's COMMIT has returned:
//! acknowledged means durable. Across nodes the counter row lock still serialises each
//! flow's groups.

use std::collections::BTreeMap;

use deadpool_postgres::{Object, Pool, Transaction};
use futures_util::future::join;
use tokio::sync::{mpsc, oneshot};
use tokio_postgres::error::SqlState;

use super::{notify, post, post_set};
use crate::store::{GroupFailure, NewPost, PostOutcome, StoreError, StoreResult};

/// Most posts folded into one transaction. Each post's savepoint becomes a subtransaction,
/// and past 64 of them PostgreSQL's per-backend subtransaction cache overflows, which slows
/// every other session's visibility checks until the group commits.
const MAX_GROUP: usize = 64;

/// Posts that may wait for the poster before callers are held back.
const QUEUE: usize = 4096;

struct Job {
    post: NewPost,
    reply: oneshot::Sender<StoreResult<PostOutcome>>,
}

/// The handle through which the store queues posts. The task ends once it is dropped.
pub(super) struct Poster {
    jobs: mpsc::Sender<Job>,
}

impl Poster {
    pub(super) fn start(pool: Pool) -> Poster {
        let (jobs, rx) = mpsc::channel(QUEUE);
        tokio::spawn(run(pool, rx));
        Poster { jobs }
    }

    /// Stores the post in the next group and resolves once that group is durable.
    pub(super) async fn post(&self, post: NewPost) -> StoreResult<PostOutcome> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Job { post, reply })
            .await
            .map_err(|_| StoreError::Backend("the PostgreSQL poster has stopped".into()))?;
        answer
            .await
            .map_err(|_| StoreError::Backend("the PostgreSQL poster dropped a post".into()))?
    }
}

async fn run(pool: Pool, mut rx: mpsc::Receiver<Job>) {
    let mut group = Vec::with_capacity(MAX_GROUP);
    while rx.recv_many(&mut group, MAX_GROUP).await > 0 {
        // A caller that has gone away was never acknowledged: its post need not be stored.
        group.retain(|j: &Job| !j.reply.is_closed());
        if group.is_empty() {
            continue;
        }
        // Every group locks counter rows in flow order, so two nodes' groups never deadlock.
        // The sort is stable: each flow's posts keep their queue order.
        group.sort_by(|a, b| a.post.message.flow.cmp(&b.post.message.flow));
        let answers = match pool.get().await {
            Ok(mut client) => match commit_group(&mut client, &group).await {
                Err(e) if retryable(&e) => {
                    tracing::warn!(error = %e, "store.group_commit_retry");
                    commit_group(&mut client, &group).await
                }
                other => other,
            }
            .map_err(StoreError::from),
            Err(e) => Err(e.into()),
        };
        match answers {
            Ok(answers) => {
                for (job, answer) in group.drain(..).zip(answers) {
                    let _ = job.reply.send(answer);
                }
            }
            Err(e) => {
                let failure = GroupFailure::new(e);
                for job in group.drain(..) {
                    let _ = job.reply.send(Err(failure.error()));
                }
            }
        }
    }
}

/// A deadlock victim or a serialisation failure rolled back the whole group; running it
/// again usually succeeds.
fn retryable(e: &tokio_postgres::Error) -> bool {
    e.code().is_some_and(|c| {
        *c == SqlState::T_R_DEADLOCK_DETECTED || *c == SqlState::T_R_SERIALIZATION_FAILURE
    })
}

/// Runs the group's posts in one transaction, in order, and commits. The error is the
/// group's: every post in it failed. A post's own failure is its answer alone.
async fn commit_group(
    client: &mut Object,
    group: &[Job],
) -> Result<Vec<StoreResult<PostOutcome>>, tokio_postgres::Error> {
    if post_set::eligible(group.iter().map(|j| &j.post)) {
        let posts: Vec<&NewPost> = group.iter().map(|j| &j.post).collect();
        match post_set::commit_group(client, &posts).await {
            Ok(stored) => {
                return Ok(stored
                    .into_iter()
                    .map(|m| Ok(PostOutcome::Stored(m)))
                    .collect())
            }
            // Rolled back: the per-post path stores what can be stored and answers the rest.
            Err(e) => tracing::debug!(error = %e, "store.group_set_fallback"),
        }
    }
    let tx = client.transaction().await?;
    let claims = group
        .iter()
        .filter_map(|j| j.post.claim.as_ref().map(post::claim_lock_key))
        .collect();
    post::lock_claims(&tx, claims).await?;
    let mut answers = Vec::with_capacity(group.len());
    // Per flow, the first and last id stored: the listeners' range to read.
    let mut stored: BTreeMap<&str, (i64, i64)> = BTreeMap::new();
    // Each post's savepoint command is sent together with the post's first statements (one
    // round trip, not two); it also ends the previous post: a failed one is rolled back (its
    // savepoint stays open for reuse), a stored one released.
    let mut opening = "SAVEPOINT post";
    for job in group {
        let (opened, answer) = join(
            tx.batch_execute(opening),
            post::post_message(&tx, job.post.clone()),
        )
        .await;
        // Without its savepoint the post's statements ran unguarded; only the whole group's
        // failure is safe then.
        opened?;
        opening = match &answer {
            Ok(PostOutcome::Stored(m)) => {
                let e = stored.entry(&job.post.message.flow).or_insert((m.id, m.id));
                e.1 = m.id;
                "RELEASE SAVEPOINT post; SAVEPOINT post"
            }
            Ok(PostOutcome::Replay(_)) => "RELEASE SAVEPOINT post; SAVEPOINT post",
            Err(_) => "ROLLBACK TO SAVEPOINT post",
        };
        answers.push(answer);
    }
    let (ended, announced) = join(tx.batch_execute(opening), announce(&tx, &stored)).await;
    ended?;
    announced?;
    tx.commit().await?;
    Ok(answers)
}

/// Tells every node, at commit, which ids the group stored per flow. The first id matters to
/// a listener whose channel has published nothing yet (see `notify::catch_up`); the last to
/// everyone else.
pub(super) async fn announce(
    tx: &Transaction<'_>,
    stored: &BTreeMap<&str, (i64, i64)>,
) -> Result<(), tokio_postgres::Error> {
    if stored.is_empty() {
        return Ok(());
    }
    let mut payloads = Vec::with_capacity(stored.len() * 2);
    for (flow_id, &(first, last)) in stored {
        payloads.push(notify::payload(flow_id, first));
        if last != first {
            payloads.push(notify::payload(flow_id, last));
        }
    }
    let stmt = tx
        .prepare_cached("SELECT count(pg_notify($1, p)) FROM unnest($2::text[]) AS p")
        .await?;
    tx.execute(&stmt, &[&notify::CHANNEL, &payloads]).await?;
    Ok(())
}
