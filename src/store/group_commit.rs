//! Group commit: callers hand in items one at a time; one task takes every item
//! waiting at that moment (up to a bound), commits them together, and answers each
//! caller only after that commit returned. One transaction and one fsync then serve
//! many callers, and no caller hears "done" before its item is durable.
//!
//! Used by the webhook receiver (deliveries) and by [`super::Store::write`] (the
//! decisions). What "commit" means, and what each caller is answered when it fails,
//! is theirs: the task only batches, in the order items came, and routes answers.

use std::future::Future;

use tokio::sync::{mpsc, oneshot};

/// The handle callers submit through; cheap to clone.
pub struct GroupCommit<T, R> {
    tx: mpsc::Sender<(T, oneshot::Sender<R>)>,
}

impl<T, R> Clone for GroupCommit<T, R> {
    fn clone(&self) -> Self {
        GroupCommit {
            tx: self.tx.clone(),
        }
    }
}

/// The task is gone (the runtime is shutting down), or it dropped the item unanswered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stopped;

impl<T: Send + 'static, R: Send + 'static> GroupCommit<T, R> {
    /// Start the task. At most `waiting` items wait for it (a caller beyond that waits
    /// to hand its item in); at most `max_batch` are committed together. `commit` gets
    /// a batch in the order the items came and returns one answer per item, in the same
    /// order.
    pub fn start<F, Fut>(waiting: usize, max_batch: usize, mut commit: F) -> GroupCommit<T, R>
    where
        F: FnMut(Vec<T>) -> Fut + Send + 'static,
        Fut: Future<Output = Vec<R>> + Send,
    {
        let (tx, mut rx) = mpsc::channel::<(T, oneshot::Sender<R>)>(waiting);
        tokio::spawn(async move {
            let mut replies: Vec<oneshot::Sender<R>> = Vec::with_capacity(max_batch);
            while let Some((item, reply)) = rx.recv().await {
                let mut batch = Vec::with_capacity(max_batch);
                batch.push(item);
                replies.push(reply);
                while batch.len() < max_batch {
                    match rx.try_recv() {
                        Ok((item, reply)) => {
                            batch.push(item);
                            replies.push(reply);
                        }
                        Err(_) => break,
                    }
                }
                let answers = commit(batch).await;
                debug_assert_eq!(answers.len(), replies.len(), "one answer per item");
                for (reply, answer) in replies.drain(..).zip(answers) {
                    let _ = reply.send(answer);
                }
            }
        });
        GroupCommit { tx }
    }

    /// Hand in one item and wait for its answer, given after the commit that held it.
    pub async fn submit(&self, item: T) -> Result<R, Stopped> {
        let (reply, answer) = oneshot::channel();
        self.tx.send((item, reply)).await.map_err(|_| Stopped)?;
        answer.await.map_err(|_| Stopped)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    /// A commit that records each batch and answers each item with itself times ten.
    fn recording(
        batches: Arc<Mutex<Vec<Vec<u32>>>>,
    ) -> impl FnMut(Vec<u32>) -> std::future::Ready<Vec<u32>> + Send + 'static {
        move |batch: Vec<u32>| {
            batches.lock().unwrap().push(batch.clone());
            std::future::ready(batch.into_iter().map(|n| n * 10).collect())
        }
    }

    #[tokio::test]
    async fn each_caller_gets_the_answer_to_its_own_item() {
        let batches = Arc::new(Mutex::new(Vec::new()));
        let group = GroupCommit::start(64, 8, recording(batches.clone()));
        let callers: Vec<_> = (1..=20u32)
            .map(|n| {
                let group = group.clone();
                tokio::spawn(async move { (n, group.submit(n).await) })
            })
            .collect();
        for caller in callers {
            let (n, answer) = caller.await.unwrap();
            assert_eq!(answer, Ok(n * 10));
        }
        let mut committed: Vec<u32> = batches.lock().unwrap().concat();
        committed.sort();
        assert_eq!(committed, (1..=20).collect::<Vec<_>>(), "each item once");
    }

    /// Items that arrive while a commit runs wait for it, then go together, in the
    /// order they came, at most `max_batch` at a time; nobody is answered before the
    /// commit that holds its item returned.
    #[tokio::test(flavor = "current_thread")]
    async fn items_waiting_are_committed_together_in_order_up_to_the_bound() {
        let batches = Arc::new(Mutex::new(Vec::new()));
        let (started_tx, mut started) = mpsc::unbounded_channel::<()>();
        let gate = Arc::new(tokio::sync::Semaphore::new(0));
        let group = {
            let batches = batches.clone();
            let gate = gate.clone();
            GroupCommit::start(64, 3, move |batch: Vec<u32>| {
                batches.lock().unwrap().push(batch.clone());
                let _ = started_tx.send(());
                let gate = gate.clone();
                async move {
                    gate.acquire().await.unwrap().forget();
                    batch.into_iter().map(|n| n * 10).collect::<Vec<_>>()
                }
            })
        };
        let submit = |n: u32| {
            let group = group.clone();
            tokio::spawn(async move { group.submit(n).await })
        };
        let first = submit(1);
        started.recv().await.unwrap();
        let rest: Vec<_> = (2..=6).map(submit).collect();
        // One thread: each yield lets every spawned caller run up to its wait.
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
        assert!(!first.is_finished(), "answered before its commit returned");
        assert_eq!(*batches.lock().unwrap(), vec![vec![1]]);
        gate.add_permits(3);
        assert_eq!(first.await.unwrap(), Ok(10));
        for (n, caller) in (2..=6).zip(rest) {
            assert_eq!(caller.await.unwrap(), Ok(n * 10));
        }
        assert_eq!(
            *batches.lock().unwrap(),
            vec![vec![1], vec![2, 3, 4], vec![5, 6]]
        );
    }
}
