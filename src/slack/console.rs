//! [`SlackPort`] for rehearsals without a workspace: prints each post as a person would read it.

use std::collections::VecDeque;
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use async_trait::async_trait;
use chrono_tz::Tz;

use super::port::{Outgoing, PostTag, Posted, SlackError, SlackPort};
use crate::clock::SharedClock;

/// How many tagged posts the console remembers for [`SlackPort::find_post`]: the Web API looks
/// through a channel's newest 1,000 messages (five pages of 200), so an older post is not found
/// there either. Keeping every post would grow with every incident ever raised.
const REMEMBERED_POSTS: usize = 1_000;

/// Prints to a writer (stdout in `golive rehearse`).
pub struct Console {
    out: Mutex<Box<dyn Write + Send>>,
    clock: SharedClock,
    zone: Tz,
    sequence: AtomicU64,
    /// The newest tagged posts, oldest first.
    posted: Mutex<VecDeque<(PostTag, Posted)>>,
}

impl Console {
    /// A console printing to `out`, stamping each post with `clock`'s time in `zone`.
    pub fn new(out: Box<dyn Write + Send>, clock: SharedClock, zone: Tz) -> Self {
        Self {
            out: Mutex::new(out),
            clock,
            zone,
            sequence: AtomicU64::new(0),
            posted: Mutex::new(VecDeque::new()),
        }
    }

    fn print(&self, heading: &str, text: &str) {
        let now = self.clock.now().with_timezone(&self.zone);
        let mut out = self.out.lock().unwrap_or_else(|e| e.into_inner());
        let _ = writeln!(out, "── {} {heading}", now.format("%a %Y-%m-%d %H:%M %Z"));
        for line in text.lines() {
            let _ = writeln!(out, "   {line}");
        }
        let _ = writeln!(out);
        let _ = out.flush();
    }
}

#[async_trait]
impl SlackPort for Console {
    async fn post(&self, channel: &str, message: &Outgoing) -> Result<Posted, SlackError> {
        let n = self.sequence.fetch_add(1, Ordering::Relaxed) + 1;
        let posted = Posted {
            channel: channel.to_string(),
            ts: format!("{}.{n:06}", self.clock.now().timestamp()),
        };
        let heading = match &message.thread_ts {
            Some(_) => format!("{channel} (thread)"),
            None => channel.to_string(),
        };
        self.print(&heading, &message.text);
        if let Some(tag) = &message.tag {
            let mut remembered = self.posted.lock().unwrap_or_else(|e| e.into_inner());
            if remembered.len() == REMEMBERED_POSTS {
                remembered.pop_front();
            }
            remembered.push_back((tag.clone(), posted.clone()));
        }
        Ok(posted)
    }

    async fn update(&self, channel: &str, _ts: &str, message: &Outgoing) -> Result<(), SlackError> {
        self.print(&format!("{channel} (updated)"), &message.text);
        Ok(())
    }

    async fn post_ephemeral(
        &self,
        channel: &str,
        user: &str,
        message: &Outgoing,
    ) -> Result<(), SlackError> {
        self.print(
            &format!("{channel} (only visible to {user})"),
            &message.text,
        );
        Ok(())
    }

    async fn publish_view(&self, user: &str, view: &serde_json::Value) -> Result<(), SlackError> {
        let blocks = view["blocks"].as_array().map_or(0, Vec::len);
        self.print(&format!("(home of {user})"), &format!("{blocks} blocks"));
        Ok(())
    }

    async fn open_view(
        &self,
        _trigger_id: &str,
        view: &serde_json::Value,
    ) -> Result<(), SlackError> {
        self.print(
            "(dialog)",
            view["title"]["text"].as_str().unwrap_or("dialog"),
        );
        Ok(())
    }

    async fn respond(&self, _response_url: &str, message: &Outgoing) -> Result<(), SlackError> {
        self.print("(reply)", &message.text);
        Ok(())
    }

    async fn find_post(&self, _channel: &str, tag: &PostTag) -> Result<Option<Posted>, SlackError> {
        let posted = self.posted.lock().unwrap_or_else(|e| e.into_inner());
        Ok(posted
            .iter()
            .find(|(t, _)| t == tag)
            .map(|(_, p)| p.clone()))
    }

    async fn channel_id(&self, name: &str) -> Result<Option<String>, SlackError> {
        Ok(Some(format!("#{name}")))
    }

    async fn usergroups(&self) -> Result<Vec<(String, String)>, SlackError> {
        Ok(Vec::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    fn tagged(key: String) -> Outgoing {
        Outgoing {
            tag: Some(PostTag {
                release_id: "r".into(),
                key,
            }),
            ..Outgoing::text("posted")
        }
    }

    #[tokio::test]
    async fn the_console_remembers_only_as_many_posts_as_slack_history_shows() {
        let clock = ManualClock::new("2026-03-09T12:00:00Z".parse().unwrap());
        let console = Console::new(Box::new(std::io::sink()), clock, chrono_tz::UTC);
        let posts = 3 * REMEMBERED_POSTS;
        for n in 0..posts {
            console
                .post("#launch", &tagged(format!("k{n}")))
                .await
                .unwrap();
        }
        assert_eq!(console.posted.lock().unwrap().len(), REMEMBERED_POSTS);
        let newest = PostTag {
            release_id: "r".into(),
            key: format!("k{}", posts - 1),
        };
        let oldest = PostTag {
            key: "k0".into(),
            ..newest.clone()
        };
        assert!(console
            .find_post("#launch", &newest)
            .await
            .unwrap()
            .is_some());
        assert_eq!(console.find_post("#launch", &oldest).await.unwrap(), None);
    }
}
