//! The SQLite store's side of a sync session: what to send a peer, applying
//! what it sent, and what it confirmed holding. The merging itself is in
//! [`super::merge`].

use rusqlite::{params, OptionalExtension, TransactionBehavior};
use wuye_protocol::ids::{RecordId, SiteId};
use wuye_protocol::sync::{Applied, Outgoing, SyncStore};
use wuye_protocol::wire::{
    heads_digest, heads_from_blob, heads_to_blob, Checkpoint, Digest, DocPayload, HeadsAck, Seq, MAX_BATCH_BYTES,
    MAX_BATCH_DOCS,
};

use super::merge::{merge_all, par_map, settle, Candidate, Existing, Row, Writes};
use super::{purge, write_row, Seqs, Store, StoreError, Tally};

fn upsert_peer_heads(
    tx: &rusqlite::Transaction<'_>,
    peer: i64,
    id: &str,
    heads: &[wuye_protocol::wire::Hash],
) -> Result<(), rusqlite::Error> {
    tx.prepare_cached(UPSERT_PEER_HEADS)?.execute(params![peer, id, heads_to_blob(heads)])?;
    Ok(())
}

/// Peer `?1` (its number) holds `?3` of document `?2` (its id); nothing
/// for a document this store does not hold.
const UPSERT_PEER_HEADS: &str = "INSERT INTO peer_heads (peer, doc, heads) SELECT ?1, n, ?3 FROM docs WHERE id = ?2
    ON CONFLICT (peer, doc) DO UPDATE SET heads = excluded.heads";

/// Marks the checkpoint agreed with `peer` as no longer describing this
/// store's memory of it (see [`SyncStore::checkpoint_with`]), in `tx`.
fn changed(tx: &rusqlite::Transaction<'_>, peer: &str) -> Result<(), rusqlite::Error> {
    tx.prepare_cached(
        "INSERT INTO peer_checkpoints (peer, epoch, nonce, instance) VALUES (?1, 0, zeroblob(16), '')
         ON CONFLICT (peer) DO UPDATE SET nonce = zeroblob(16)",
    )?
    .execute([peer])?;
    Ok(())
}

/// The SQLite store's writes for [`settle`], inside one transaction.
struct SqliteWrites<'a> {
    tx: &'a rusqlite::Transaction<'a>,
    tally: &'a mut Tally,
    dicts: super::pack::Dictionaries,
    seqs: Seqs,
    /// The peer's number in `peer_heads`.
    peer: i64,
}

impl Writes for SqliteWrites<'_> {
    fn next_seq(&mut self) -> Seq {
        self.seqs.take()
    }

    fn write(
        &mut self,
        row: &Row,
        heads: &[wuye_protocol::wire::Hash],
        bytes: &[u8],
        seq: Seq,
        fresh: bool,
    ) -> Result<(), StoreError> {
        write_row(self.tx, self.tally, &mut self.dicts, row, heads, bytes, seq, fresh)
    }

    fn held_by_peer(&mut self, id: &str, heads: &[wuye_protocol::wire::Hash]) -> Result<(), StoreError> {
        Ok(upsert_peer_heads(self.tx, self.peer, id, heads)?)
    }

    fn purge(&mut self, id: RecordId) -> Result<(), StoreError> {
        purge(self.tx, self.tally, id)
    }
}

impl SyncStore for Store {
    type Error = StoreError;

    fn cursor(&mut self, peer: &str) -> Result<Seq, StoreError> {
        let cursor: Option<i64> =
            self.conn.query_row("SELECT cursor FROM peer_cursors WHERE peer = ?1", [peer], |r| r.get(0)).optional()?;
        Ok(cursor.unwrap_or(0) as Seq)
    }

    fn outgoing(&mut self, peer: &str, site: SiteId, after: Seq) -> Result<Outgoing, StoreError> {
        let tx = self.conn.transaction()?;
        let mut out = Outgoing { docs: Vec::new(), upto: after, more: true };
        let mut dictionaries = super::pack::Dictionaries::default();
        let site_text = site.to_string();
        // Neither numbered yet: nothing of the site here, or nothing the peer holds.
        let site_n = super::known_number(&tx, "site_numbers", "site_id", &site_text)?;
        let peer_n = super::known_number(&tx, "peer_numbers", "peer", peer)?;
        while out.docs.is_empty() && out.more {
            let mut candidates = Vec::new();
            let mut scanned = 0;
            let mut bytes_total = 0usize;
            out.more = false;
            {
                // A document's pending changes stand in for it while they
                // are after exactly the heads the peer is known to hold.
                let mut stmt = tx.prepare_cached(
                    "SELECT d.id, d.kind, d.seq, d.heads, p.heads,
                            CASE WHEN d.pending_base = p.heads THEN d.pending END,
                            CASE WHEN d.pending_base = p.heads THEN x'' ELSE d.bytes END, d.dict
                     FROM docs d LEFT JOIN peer_heads p ON p.peer = ?1 AND p.doc = d.n
                     WHERE d.site = ?2 AND d.seq > ?3 ORDER BY d.seq LIMIT ?4",
                )?;
                let mut rows = stmt.query(params![peer_n, site_n, out.upto as i64, MAX_BATCH_DOCS as i64])?;
                while let Some(row) = rows.next()? {
                    scanned += 1;
                    let seq: i64 = row.get(2)?;
                    out.upto = seq as Seq;
                    let heads: Vec<u8> = row.get(3)?;
                    let peer_heads: Option<Vec<u8>> = row.get(4)?;
                    if peer_heads.as_deref() == Some(heads.as_slice()) {
                        continue;
                    }
                    let pending: Option<Vec<u8>> = row.get(5)?;
                    let bytes: Vec<u8> = row.get(6)?;
                    let id: String = row.get(0)?;
                    // The row's own dictionary: its key, then its kind's.
                    let dictionary = match pending {
                        Some(_) => None,
                        None => dictionaries.get(&tx, row.get(7)?)?.map(|dictionary| {
                            super::pack::RowKey { id: &id, site: &site_text, heads: &heads }.before(&dictionary)
                        }),
                    };
                    // What goes on the wire: a packed document as it unpacks (the receiver counts that).
                    let sent = if dictionary.is_some() { super::pack::unpacked_len(&bytes) } else { bytes.len() };
                    bytes_total += sent + pending.as_ref().map_or(0, Vec::len);
                    candidates.push(Candidate { id, kind: row.get(1)?, heads, bytes, dictionary, peer_heads, pending });
                    if bytes_total >= MAX_BATCH_BYTES {
                        out.more = true;
                        break;
                    }
                }
            }
            if scanned == MAX_BATCH_DOCS {
                out.more = true;
            }
            for payload in par_map(&candidates, Candidate::payload) {
                out.docs.extend(payload?);
            }
        }
        drop(tx);
        Ok(out)
    }

    fn apply(&mut self, peer: &str, site: SiteId, docs: Vec<DocPayload>, cursor: Seq) -> Result<Applied, StoreError> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut existing = Vec::with_capacity(docs.len());
        let mut gone = Vec::with_capacity(docs.len());
        // Read here, written by the same transaction below.
        let mut dictionaries = super::pack::Dictionaries::default();
        {
            let mut stmt = tx.prepare_cached(
                "SELECT s.site_id, d.bytes, d.seq, d.dict, d.heads FROM docs d
                 JOIN site_numbers s ON s.n = d.site WHERE d.id = ?1",
            )?;
            let mut purged = tx.prepare_cached("SELECT EXISTS (SELECT 1 FROM purged WHERE id = ?1)")?;
            // Almost always empty: then no document needs looking up in it.
            let any_purged: bool = tx.query_row("SELECT EXISTS (SELECT 1 FROM purged)", [], |r| r.get(0))?;
            for payload in &docs {
                gone.push(any_purged && purged.query_row([payload.id.to_string()], |r| r.get::<_, bool>(0))?);
                let key = payload.id.to_string();
                let found = stmt
                    .query_row([&key], |r| {
                        let stored = (r.get::<_, Vec<u8>>(1)?, r.get(3)?, r.get::<_, Vec<u8>>(4)?);
                        Ok((r.get::<_, String>(0)?, stored, r.get::<_, i64>(2)?))
                    })
                    .optional()?;
                existing.push(match found {
                    Some((owner, (stored, dict, heads), seq)) => {
                        let row = super::pack::RowKey { id: &key, site: &owner, heads: &heads };
                        let bytes = dictionaries.unpack(&tx, row, stored, dict)?;
                        Some(Existing { owner, bytes, seq: seq as Seq })
                    }
                    None => None,
                });
            }
        }
        let started = std::time::Instant::now();
        let merged = merge_all(site, &docs, existing, gone);
        let merge_us = started.elapsed().as_micros() as u64;
        let mut tally = Tally::default();
        let seqs = Seqs::reserve(&tx, docs.len())?;
        let peer_n = super::peer_number(&tx, peer)?;
        let mut writes = SqliteWrites { tx: &tx, tally: &mut tally, dicts: dictionaries, seqs, peer: peer_n };
        let (applied, purged_any) = settle(&mut writes, peer, merged)?;
        tally.flush(&tx)?;
        tx.prepare_cached(
            "INSERT INTO peer_cursors (peer, cursor) VALUES (?1, ?2)
             ON CONFLICT (peer) DO UPDATE SET cursor = excluded.cursor",
        )?
        .execute(params![peer, cursor as i64])?;
        changed(&tx, peer)?;
        let write_us = started.elapsed().as_micros() as u64 - merge_us;
        tx.commit()?;
        if purged_any {
            // The replaced documents' bytes must not stay in the file or its log.
            self.compact()?;
        }
        tracing::debug!(
            docs = docs.len(),
            merge_us,
            write_us,
            total_us = started.elapsed().as_micros() as u64,
            "applied a batch"
        );
        Ok(applied)
    }

    fn acknowledge(&mut self, peer: &str, held: &[HeadsAck], need_full: &[RecordId]) -> Result<(), StoreError> {
        if held.is_empty() && need_full.is_empty() {
            return Ok(());
        }
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let peer_n = super::peer_number(&tx, peer)?;
        {
            // Heads of a document this store does not hold are ignored.
            let mut upsert = tx.prepare_cached(UPSERT_PEER_HEADS)?;
            // Pending changes after the heads the peer held before are of no more use.
            let mut sent = tx.prepare_cached(
                "UPDATE docs SET pending = NULL, pending_base = NULL WHERE id = ?1 AND pending IS NOT NULL",
            )?;
            for ack in held {
                upsert.execute(params![peer_n, ack.id.to_string(), heads_to_blob(&ack.heads)])?;
                sent.execute([ack.id.to_string()])?;
            }
        }
        if !need_full.is_empty() {
            let mut seqs = Seqs::reserve(&tx, need_full.len())?;
            for id in need_full {
                let id = id.to_string();
                tx.prepare_cached(
                    "DELETE FROM peer_heads WHERE peer = ?1 AND doc = (SELECT n FROM docs WHERE id = ?2)",
                )?
                .execute(params![peer_n, id])?;
                tx.prepare_cached("UPDATE docs SET seq = ?1 WHERE id = ?2")?
                    .execute(params![seqs.take() as i64, id])?;
            }
        }
        changed(&tx, peer)?;
        tx.commit()?;
        Ok(())
    }

    fn checkpoint_with(&mut self, peer: &str) -> Result<Option<(Checkpoint, String)>, StoreError> {
        let row: Option<(i64, Vec<u8>, String)> = self
            .conn
            .query_row("SELECT epoch, nonce, instance FROM peer_checkpoints WHERE peer = ?1", [peer], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .optional()?;
        Ok(row.and_then(|(epoch, nonce, instance)| {
            let nonce: [u8; 16] = nonce.try_into().ok()?;
            Some((Checkpoint { epoch: epoch.max(0) as u64, nonce }, instance))
        }))
    }

    fn keep_checkpoint(&mut self, peer: &str, checkpoint: Checkpoint, instance: &str) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO peer_checkpoints (peer, epoch, nonce, instance) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (peer) DO UPDATE SET epoch = excluded.epoch, nonce = excluded.nonce, instance = excluded.instance",
            params![peer, checkpoint.epoch.min(i64::MAX as u64) as i64, checkpoint.nonce.to_vec(), instance],
        )?;
        Ok(())
    }

    fn forget_peer(&mut self, peer: &str) -> Result<(), StoreError> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute("DELETE FROM peer_heads WHERE peer = (SELECT n FROM peer_numbers WHERE peer = ?1)", [peer])?;
        tx.execute("DELETE FROM peer_cursors WHERE peer = ?1", [peer])?;
        changed(&tx, peer)?;
        tx.commit()?;
        Ok(())
    }

    fn digests(&mut self, site: SiteId, after: Option<RecordId>, limit: usize) -> Result<Vec<Digest>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, heads FROM docs WHERE site = (SELECT n FROM site_numbers WHERE site_id = ?1)
                 AND id > ?2 ORDER BY id LIMIT ?3",
        )?;
        let after = after.map(|a| a.to_string()).unwrap_or_default();
        let rows = stmt.query_map(params![site.to_string(), after, limit as i64], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, Vec<u8>>(1)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, heads) = row?;
            let damaged = |reason: &str| StoreError::Corrupt { id: id.clone(), reason: reason.to_string() };
            let heads = heads_from_blob(&heads).ok_or_else(|| damaged("damaged heads"))?;
            out.push(Digest { id: super::parse_id(&id)?, heads: heads_digest(&heads) });
        }
        Ok(out)
    }

    fn compare_digests(&mut self, peer: &str, site: SiteId, digests: &[Digest]) -> Result<Vec<bool>, StoreError> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut same = Vec::with_capacity(digests.len());
        {
            let mut get = tx.prepare_cached(
                "SELECT heads FROM docs WHERE id = ?1 AND site = (SELECT n FROM site_numbers WHERE site_id = ?2)",
            )?;
            let site = site.to_string();
            let peer = super::peer_number(&tx, peer)?;
            for d in digests {
                let id = d.id.to_string();
                let heads: Option<Vec<u8>> = get.query_row(params![id, site], |r| r.get(0)).optional()?;
                let held = match heads.as_deref().and_then(heads_from_blob) {
                    Some(ours) if heads_digest(&ours) == d.heads => {
                        upsert_peer_heads(&tx, peer, &id, &ours)?;
                        true
                    }
                    _ => false,
                };
                same.push(held);
            }
        }
        changed(&tx, peer)?;
        tx.commit()?;
        Ok(same)
    }

    fn mark_held(&mut self, peer: &str, ids: &[RecordId]) -> Result<(), StoreError> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        {
            let mut mark = tx.prepare_cached(
                "INSERT INTO peer_heads (peer, doc, heads) SELECT ?1, n, heads FROM docs WHERE id = ?2
                 ON CONFLICT (peer, doc) DO UPDATE SET heads = excluded.heads",
            )?;
            let peer = super::peer_number(&tx, peer)?;
            for id in ids {
                mark.execute(params![peer, id.to_string()])?;
            }
        }
        changed(&tx, peer)?;
        tx.commit()?;
        Ok(())
    }

    fn unconfirmed_after(&mut self, peer: &str, site: SiteId, after: Seq) -> Result<u64, StoreError> {
        self.unconfirmed_since(peer, site, after)
    }
}
