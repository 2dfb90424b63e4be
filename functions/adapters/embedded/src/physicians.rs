//! The physician directory in SQLite: one row per LANR and BSNR, and a row per word of the name,
//! so that the search by the beginning of a word reads an index range.

use async_trait::async_trait;
use portal_core::{PhysicianDirectory, StoreError};
use portal_domain::therapy::{Bsnr, Lanr, Physician, PhysicianQuery, name_words};
use rusqlite::{OptionalExtension, params};

use crate::rows::{PHYSICIAN_COLUMNS, physician_from};
use crate::{EmbeddedStore, sql};

#[async_trait]
impl PhysicianDirectory for EmbeddedStore {
    #[tracing::instrument(level = "debug", name = "sqlite.put_physicians", skip_all)]
    async fn put_physicians(&self, physicians: &[Physician]) -> Result<(), StoreError> {
        let physicians = physicians.to_vec();
        self.write(move |connection| {
            let mut upsert = connection
                .prepare_cached(
                    "INSERT INTO physicians (lanr, bsnr, name, strasse, plz, ort, kim, earztbrief)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                     ON CONFLICT (lanr, bsnr) DO UPDATE SET name = excluded.name,
                       strasse = excluded.strasse, plz = excluded.plz, ort = excluded.ort,
                       kim = excluded.kim, earztbrief = excluded.earztbrief",
                )
                .map_err(sql)?;
            let mut forget = connection
                .prepare_cached("DELETE FROM physician_words WHERE lanr = ?1 AND bsnr = ?2")
                .map_err(sql)?;
            let mut word = connection
                .prepare_cached(
                    "INSERT OR IGNORE INTO physician_words (word, lanr, bsnr) VALUES (?1, ?2, ?3)",
                )
                .map_err(sql)?;
            for p in &physicians {
                let (lanr, bsnr) = (p.lanr.as_str(), p.bsnr.as_str());
                upsert
                    .execute(params![
                        lanr,
                        bsnr,
                        p.name,
                        p.address.strasse,
                        p.address.plz,
                        p.address.ort,
                        p.kim.as_ref().map(|k| k.as_str()),
                        p.earztbrief
                    ])
                    .map_err(sql)?;
                forget.execute([lanr, bsnr]).map_err(sql)?;
                for w in name_words(&p.name) {
                    word.execute([w.as_str(), lanr, bsnr]).map_err(sql)?;
                }
            }
            Ok(())
        })
        .await
    }

    #[tracing::instrument(level = "debug", name = "sqlite.physician", skip_all)]
    async fn physician(&self, lanr: &Lanr, bsnr: &Bsnr) -> Result<Option<Physician>, StoreError> {
        let (lanr, bsnr) = (*lanr, *bsnr);
        self.lookup(move |connection| {
            let query =
                format!("SELECT {PHYSICIAN_COLUMNS} FROM physicians WHERE lanr = ?1 AND bsnr = ?2");
            connection
                .prepare_cached(&query)
                .and_then(|mut select| {
                    select
                        .query_row([lanr.as_str(), bsnr.as_str()], |row| Ok(physician_from(row)))
                        .optional()
                })
                .map_err(sql)?
                .transpose()
        })
        .await
    }

    #[tracing::instrument(level = "debug", name = "sqlite.search_physicians", skip_all)]
    async fn search_physicians(
        &self,
        query: &PhysicianQuery,
        limit: usize,
    ) -> Result<Vec<Physician>, StoreError> {
        let query = query.clone();
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.run(move |connection| {
            const COLUMNS: &str =
                "p.lanr, p.bsnr, p.name, p.strasse, p.plz, p.ort, p.kim, p.earztbrief";
            let (where_clause, values): (&str, Vec<String>) = match &query {
                PhysicianQuery::Number(n) => ("p.lanr = ?1 OR p.bsnr = ?1", vec![n.clone()]),
                PhysicianQuery::Plz(plz) => ("p.plz = ?1", vec![plz.clone()]),
                // The words from `prefix` up to the last string that starts with it.
                PhysicianQuery::Name(prefix) => (
                    "(p.lanr, p.bsnr) IN (SELECT lanr, bsnr FROM physician_words
                                          WHERE word >= ?1 AND word < ?2)",
                    vec![prefix.clone(), format!("{prefix}\u{10FFFF}")],
                ),
            };
            let text = format!(
                "SELECT {COLUMNS} FROM physicians p WHERE {where_clause} ORDER BY p.name, p.lanr, p.bsnr LIMIT {limit}"
            );
            let mut select = connection.prepare_cached(&text).map_err(sql)?;
            let rows = select
                .query_map(rusqlite::params_from_iter(values), |row| Ok(physician_from(row)))
                .map_err(sql)?;
            rows.map(|row| row.map_err(sql)?).collect()
        })
        .await
    }
}
