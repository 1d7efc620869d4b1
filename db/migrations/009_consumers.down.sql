-- 009_consumers (down): removes the consumer cursors (every group starts again from event 1 after an up).
DROP TABLE ledger.consumers;
