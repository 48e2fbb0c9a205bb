//! The war-room board's live feeds: one renderer per launch while anyone watches, its latest
//! update shared by every open board (a burst of clicks costs one rendering per change, not
//! one per board).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::watch;

/// A rendered update, as the event stream sends it.
pub type Update = Arc<String>;

#[derive(Default)]
pub struct BoardFeeds {
    feeds: Mutex<HashMap<String, watch::Sender<Update>>>,
    /// golive is stopping: renderers end, and with them every open stream, so the HTTP server
    /// can finish (the pages reconnect to the next golive by themselves).
    closed: std::sync::atomic::AtomicBool,
}

impl BoardFeeds {
    /// A receiver of `release`'s updates; `start` runs the renderer when none is running.
    pub fn subscribe(
        &self,
        release: &str,
        first: Update,
        start: impl FnOnce(watch::Sender<Update>),
    ) -> watch::Receiver<Update> {
        let mut feeds = self.feeds.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(sender) = feeds.get(release) {
            return sender.subscribe();
        }
        let (sender, receiver) = watch::channel(first);
        feeds.insert(release.to_string(), sender.clone());
        start(sender);
        receiver
    }

    /// Ends every feed: golive is stopping.
    pub fn close_all(&self) {
        self.closed
            .store(true, std::sync::atomic::Ordering::Release);
        self.feeds.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }

    /// Ends `release`'s feed when nobody watches it any more, or golive is stopping; true when
    /// it ended.
    pub fn retire(&self, release: &str, sender: &watch::Sender<Update>) -> bool {
        let mut feeds = self.feeds.lock().unwrap_or_else(|e| e.into_inner());
        if self.closed.load(std::sync::atomic::Ordering::Acquire) {
            feeds.remove(release);
            return true;
        }
        if sender.receiver_count() > 0 {
            return false;
        }
        if feeds.get(release).is_some_and(|s| s.same_channel(sender)) {
            feeds.remove(release);
        }
        true
    }

    /// How many launches have a feed running.
    pub fn running(&self) -> usize {
        self.feeds.lock().map_or(0, |f| f.len())
    }
}
