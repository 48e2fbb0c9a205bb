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

    /// Ends `release`'s feed when nobody watches it any more; true when it ended.
    pub fn retire(&self, release: &str, sender: &watch::Sender<Update>) -> bool {
        let mut feeds = self.feeds.lock().unwrap_or_else(|e| e.into_inner());
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
