//! A launch's whole history, for its record: every vote and every incident, not just the open
//! or latest ones.

use super::AsConn;

use super::votes::{self, StoredVote};
use super::{incidents, StoreError};
use crate::domain::incident::{Incident, IncidentId};

/// Every vote of a release with its ballots, oldest first.
pub async fn votes(
    conn: &mut impl AsConn,
    release_id: &str,
) -> Result<Vec<StoredVote>, StoreError> {
    crate::on!(conn, |conn| {
        let ids: Vec<(i64,)> =
            sqlx::query_as("SELECT id FROM votes WHERE release_id = $1 ORDER BY id")
                .bind(release_id)
                .fetch_all(&mut *conn)
                .await?;
        let mut all = Vec::with_capacity(ids.len());
        for (id,) in ids {
            all.extend(votes::load(conn, release_id, id).await?);
        }
        Ok(all)
    })
}

/// Every incident of a release, oldest first.
pub async fn incidents(
    conn: &mut impl AsConn,
    release_id: &str,
) -> Result<Vec<Incident>, StoreError> {
    crate::on!(conn, |conn| {
        let numbers: Vec<(i64,)> =
            sqlx::query_as("SELECT number FROM incidents WHERE release_id = $1 ORDER BY number")
                .bind(release_id)
                .fetch_all(&mut *conn)
                .await?;
        let mut all = Vec::with_capacity(numbers.len());
        for (number,) in numbers {
            all.extend(incidents::load(conn, release_id, IncidentId(number)).await?);
        }
        Ok(all)
    })
}
