//! What the order writes do, written once over the backends' statements: the
//! idempotent create, the decisions taken under a row lock (cancel, retry, reject), and
//! the engine's fenced writes of a batch's transitions.

use chrono::{DateTime, Utc};

use super::{Decision, Guard, Lease, OrderColumns, OrderStore, OrderTx, Savepoint, Written};
use crate::domain::account::Posting;
use crate::domain::execution::{self, Refusal, Transition};
use crate::domain::order::{Order, OrderNumber};
use crate::store::accounts::guard_failed;
use crate::store::{IdempotencyKey, NewEvent, Recorded, StoreError};

/// Whether a write leaves orders with work to do at once, for the engines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Wake {
    /// An order's next step runs now (a new order, a confirmation, a retry).
    Engines,
    /// Its orders ended, or wait as before.
    Nobody,
}

impl dyn OrderStore + '_ {
    /// Stores a new order, atomically with its idempotency key, and wakes the engines.
    /// A retry with a key already recorded answers what the key recorded; an active
    /// order with the same duplicate key is a [`StoreError::Conflict`].
    #[tracing::instrument(skip_all, fields(kind = order.kind().as_str()))]
    pub async fn create_order(
        &self,
        order: &Order,
        idempotency: Option<&IdempotencyKey>,
    ) -> Result<Recorded<OrderNumber>, StoreError> {
        if let Some(key) = idempotency
            && let Some(seen) = self.recorded_order(key).await?
        {
            return Ok(seen);
        }
        let columns = OrderColumns::encode(order)?;
        let mut tx = self.begin().await?;
        let number = match tx.insert_orders(std::slice::from_ref(&columns)).await?[..] {
            [id] => OrderNumber(id),
            _ => {
                return Err(StoreError::Other(anyhow::anyhow!(
                    "one order inserted, not one id"
                )));
            }
        };
        if let Some(key) = idempotency
            && !tx.claim_key(key, &number.to_string()).await?
        {
            // A concurrent request with the same key won: answer what it recorded.
            drop(tx);
            return self.recorded_order(key).await?.ok_or(StoreError::NotFound);
        }
        self.commit(tx, Wake::Engines).await?;
        Ok(Recorded::Created(number))
    }

    /// Cancels an order if its state allows, with the customer's reason if given.
    pub async fn cancel_order(
        &self,
        number: OrderNumber,
        now: DateTime<Utc>,
        reason: Option<String>,
    ) -> Result<Decision, StoreError> {
        self.decide(number, now, Wake::Nobody, |order| {
            execution::cancel(order, now, reason).map(Transition::of)
        })
        .await
    }

    /// The customer's confirmation of an order that waits for it; the engines are woken
    /// to run its action.
    pub async fn confirm_order(
        &self,
        number: OrderNumber,
        now: DateTime<Utc>,
    ) -> Result<Decision, StoreError> {
        self.decide(number, now, Wake::Engines, |order| {
            execution::confirm(order, now).map(Transition::of)
        })
        .await
    }

    /// Staff's retry of a held order: its step runs again with the same key.
    pub async fn retry_order(
        &self,
        number: OrderNumber,
        now: DateTime<Utc>,
    ) -> Result<Decision, StoreError> {
        self.decide(number, now, Wake::Engines, |order| {
            execution::retry(order, now).map(Transition::of)
        })
        .await
    }

    /// Staff's rejection of a held order, with the customer's notification.
    pub async fn reject_order(
        &self,
        number: OrderNumber,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<Decision, StoreError> {
        self.decide(number, now, Wake::Nobody, |order| {
            execution::reject_held(order, reason, now)
        })
        .await
    }

    /// Reads the order under a lock, lets `rule` judge it, and writes what it decided,
    /// overriding (fencing out) any engine pass that holds the order's lease; its events
    /// are registered at `now`. With [`Wake::Engines`] the decision left the order work
    /// to do at once, and every process's engine is told, as for a new order: the
    /// process that took the decision need not be the one whose engine is idle, and the
    /// others would otherwise find the order only at their next look at the queue.
    async fn decide(
        &self,
        number: OrderNumber,
        now: DateTime<Utc>,
        wake: Wake,
        rule: impl FnOnce(Order) -> Result<Transition, Refusal> + Send,
    ) -> Result<Decision, StoreError> {
        let mut tx = self.begin().await?;
        let Some(columns) = tx.lock_order(number).await? else {
            return Ok(Decision::NotFound);
        };
        let transition = match rule(columns.decode()?) {
            Ok(transition) => transition,
            Err(refusal) => return Ok(Decision::Refused(refusal)),
        };
        let row = OrderColumns::encode(&transition.order)?;
        tx.save_orders(&[(row, Guard::Override)]).await?;
        if let Some(posting) = book(tx.as_mut(), &transition, now).await? {
            // Nothing is committed: the decision is refused as a whole.
            return Err(StoreError::Conflict(guard_failed(
                transition.order.number.0,
                posting,
            )));
        }
        write_effects(tx.as_mut(), std::slice::from_ref(&transition), now).await?;
        self.commit(tx, wake).await?;
        Ok(Decision::Done(Box::new(transition.order)))
    }

    /// Commits `tx`. With [`Wake::Engines`] the engines of every process sharing the
    /// database are told in the transaction (so only if it commits), and this process's
    /// at once after it.
    pub(super) async fn commit(
        &self,
        mut tx: Box<dyn OrderTx>,
        wake: Wake,
    ) -> Result<(), StoreError> {
        if wake == Wake::Engines {
            tx.announce_work().await?;
        }
        tx.commit().await?;
        if wake == Wake::Engines {
            self.work_added();
        }
        Ok(())
    }

    /// Writes an engine batch's transitions in one transaction: each order only while its
    /// lease holds and its money guards hold, and the cards and events of exactly those
    /// orders. Answers what became of each transition (see [`write_batch`]).
    pub async fn write_transitions(
        &self,
        batch: &[(Lease, Transition)],
        release: bool,
        now: DateTime<Utc>,
    ) -> Result<Vec<Written>, StoreError> {
        if batch.is_empty() {
            return Ok(Vec::new());
        }
        let mut tx = self.begin().await?;
        let written = write_batch(tx.as_mut(), batch, release, now).await?;
        tx.commit().await?;
        Ok(written)
    }

    /// Sets aside an order whose row cannot be read, so that it never fails its batch
    /// again; staff see it among the held orders.
    pub async fn hold_unreadable(
        &self,
        lease: Lease,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        tx.hold_unreadable(lease, reason, now).await?;
        tx.commit().await
    }
}

/// Writes a batch's transitions in the open transaction `tx`, each order only while its
/// lease holds, with the money, cards and events of exactly those orders; answers what
/// became of each.
///
/// Money decides who stays: a transition whose posting guard fails (a balance or an
/// account state its rules judged has changed since: another process's write, or an
/// earlier order of the same batch that moved money on or closed the account) is left
/// out, its claim ended, and the rest written again without it from a savepoint. One
/// order judged on a stale balance so costs the others nothing, instead of failing the
/// whole batch and having every order of it judged again. Each round leaves out one more
/// transition, so the rounds end.
pub(crate) async fn write_batch(
    tx: &mut dyn super::OrderTx,
    batch: &[(Lease, Transition)],
    release: bool,
    now: DateTime<Utc>,
) -> Result<Vec<Written>, StoreError> {
    let mut outcome = vec![Written::Yes; batch.len()];
    let moves_money = batch.iter().any(|(_, t)| !t.postings.is_empty());
    if moves_money {
        // Set once: a rollback to it keeps it for the next round.
        tx.savepoint(Savepoint::Set).await?;
    }
    loop {
        let standing: Vec<usize> = (0..batch.len())
            .filter(|i| outcome[*i] != Written::BalanceMoved)
            .collect();
        let rows = standing
            .iter()
            .map(|&i| {
                let (lease, t) = &batch[i];
                let guard = Guard::Fenced {
                    lease: *lease,
                    release,
                };
                OrderColumns::encode(&t.order).map(|row| (row, guard))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let written = tx.save_orders(&rows).await?;
        for (&i, ok) in standing.iter().zip(&written) {
            outcome[i] = if *ok {
                Written::Yes
            } else {
                Written::LeaseLost
            };
        }
        match book_all(tx, batch, &outcome, now).await? {
            None => break,
            Some(moved) => {
                tx.savepoint(Savepoint::RollbackTo).await?;
                outcome[moved] = Written::BalanceMoved;
                metrics::counter!("bankapi_order_steps_judged_again_total").increment(1);
            }
        }
    }
    if moves_money {
        tx.savepoint(Savepoint::Release).await?;
    }
    for ((lease, _), _) in batch
        .iter()
        .zip(&outcome)
        .filter(|(_, o)| **o == Written::BalanceMoved)
    {
        tx.end_claim(*lease).await?;
    }
    let kept: Vec<Transition> = batch
        .iter()
        .zip(&outcome)
        .filter(|(_, o)| o.yes())
        .map(|((_, t), _)| t.clone())
        .collect();
    write_effects(tx, &kept, now).await?;
    Ok(outcome)
}

/// Books the money and account states of the transitions written so far, one transition
/// after the other; answers the first transition whose guard failed (the caller undoes
/// what this booked).
async fn book_all(
    tx: &mut dyn super::OrderTx,
    batch: &[(Lease, Transition)],
    outcome: &[Written],
    now: DateTime<Utc>,
) -> Result<Option<usize>, StoreError> {
    for (i, (_, t)) in batch.iter().enumerate() {
        if !outcome[i].yes() {
            continue;
        }
        if let Some(posting) = book(tx, t, now).await? {
            tracing::warn!(
                "{}; the rest of the batch is written without it",
                guard_failed(t.order.number.0, posting)
            );
            return Ok(Some(i));
        }
    }
    Ok(None)
}

/// Books `t`'s postings and then its accounts' new states (an account closed, a product
/// changed), so that the guards of the transitions after it in the same batch judge
/// both: a payment into an account that an earlier order of the batch closed fails its
/// guard instead of crediting a closed account. Answers the posting whose guard failed.
async fn book<'t>(
    tx: &mut dyn super::OrderTx,
    t: &'t Transition,
    now: DateTime<Utc>,
) -> Result<Option<&'t Posting>, StoreError> {
    for posting in &t.postings {
        if !tx.book_posting(t.order.number.0, posting, now).await? {
            return Ok(Some(posting));
        }
    }
    if !t.account_changes.is_empty() {
        tx.change_accounts(&t.account_changes).await?;
    }
    Ok(None)
}

/// The cards, mandates, standing orders and events of `transitions` (their money and
/// account states are booked already), the events registered at `now`.
async fn write_effects(
    tx: &mut dyn super::OrderTx,
    transitions: &[Transition],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let new_cards: Vec<_> = transitions
        .iter()
        .flat_map(|t| t.new_cards.iter().cloned())
        .collect();
    let changed_cards: Vec<_> = transitions
        .iter()
        .flat_map(|t| t.changed_cards.iter().cloned())
        .collect();
    let events: Vec<NewEvent> = transitions
        .iter()
        .flat_map(|t| &t.events)
        .map(|draft| NewEvent {
            customer_number: draft.customer_number.clone(),
            kind: draft.kind,
            created_at: now,
            description: draft.description.clone(),
            xml: draft.xml.clone(),
        })
        .collect();
    if !new_cards.is_empty() {
        tx.insert_cards(&new_cards).await?;
    }
    if !changed_cards.is_empty() {
        tx.update_cards(&changed_cards).await?;
    }
    let mandates: Vec<_> = transitions
        .iter()
        .flat_map(|t| t.mandates.iter().cloned())
        .collect();
    if !mandates.is_empty() {
        tx.save_mandates(&mandates).await?;
    }
    let standing: Vec<_> = transitions
        .iter()
        .flat_map(|t| t.standing_orders.iter().cloned())
        .collect();
    if !standing.is_empty() {
        tx.insert_standing_orders(&standing).await?;
    }
    if !events.is_empty() {
        tx.insert_events(&events).await?;
    }
    Ok(())
}
