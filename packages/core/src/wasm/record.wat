;; The record loops (pghot_record_access steps 4-10 for batches without a memory model), default
;; mode (record) and precision mode (record32), over records that live in this module's memory. Built into record-wasm.ts by
;; `pnpm build:wasm`; a test checks the two agree.
;;
;; record(i, count, ...) walks accesses i..count-1 of the scratch arrays and returns the index of
;; the first one it cannot handle (a PFN in a partly covered section, or in a section whose records
;; are not allocated yet, or a time it does not convert: the engine does that one in JavaScript and
;; calls again), or count. Records it writes are added to the i32 at address 0.
;;
;; The arrays of a fixed size sit at fixed addresses (the globals below, which the engine reads), so
;; the loops reach them through a load's constant offset instead of a register: the loops keep few
;; values live, and V8 keeps them all in registers.
(module
  (memory (export "memory") 1)
  ;; scratch: PFNs (u32), times (u32), times (f64), 4096 of each; the default-mode update table
  ;; (32 x 256 bytes); a byte per node: top tier, activate
  (global (export "PFN") i32 (i32.const 64))
  (global (export "NOW") i32 (i32.const 16448))
  (global (export "NOW_F64") i32 (i32.const 32832))
  (global (export "TABLE") i32 (i32.const 65600))
  (global (export "NODE_TOP") i32 (i32.const 73792))
  (global (export "ACT") i32 (i32.const 74816))
  ;; the first free byte: the section arrays follow
  (global (export "FREE") i32 (i32.const 75840))
  (func (export "record")
    (param $i i32) (param $count i32) (param $nid i32) (param $end i32)
    (param $secNode i32) (param $secOff i32) (param $hot i32) (param $fast i32) (param $f64 i32)
    (result i32)
    (local $start i32) (local $skipped i32)
    (local $pfn i32) (local $sec i32) (local $node i32) (local $base i32) (local $addr i32)
    (local $old i32) (local $next i32) (local $j i32) (local $now i32) (local $nowI i64)
    (local $bits i64) (local $prevBits i64) (local $prevNow i32)
    (local.set $start (local.get $i))
    ;; the last converted time (its bits and value): NaN, whose value is 0, to begin with
    (local.set $prevBits (i64.const 0x7FF8000000000001))
    (block $done
      (loop $loop
        ;; $j: this access (at the end, $count); $i: the next one (the paths that skip an access go
        ;; straight to $loop)
        (local.set $j (local.get $i))
        (br_if $done (i32.ge_u (local.get $j) (local.get $count)))
        (local.set $i (i32.add (local.get $j) (i32.const 1)))
        (local.set $pfn (i32.load offset=64 (i32.shl (local.get $j) (i32.const 2))))
        ;; PFNs past the last node: invalid, counted under the source but not recorded
        (if (i32.ge_u (local.get $pfn) (local.get $end))
          (then
            (local.set $skipped (i32.add (local.get $skipped) (i32.const 1)))
            (br $loop)))
        (local.set $sec (i32.shr_u (local.get $pfn) (i32.const 15)))
        ;; $fast (when the accessing node is no lower-tier node): a section's records when the whole
        ;; section is one lower-tier node's and has them; else the checks one by one
        (local.set $node (i32.const -1))
        (local.set $base (if (result i32) (local.get $fast)
          (then (i32.load (i32.add (local.get $fast) (i32.shl (local.get $sec) (i32.const 2)))))
          (else (i32.const 0))))
        (if (i32.eqz (local.get $base))
          (then
            (local.set $node (i32.load16_s (i32.add (local.get $secNode) (i32.shl (local.get $sec) (i32.const 1)))))
            (if (i32.lt_s (local.get $node) (i32.const 0))
              (then (br $done)))
            ;; local, or top tier: not recorded
            (if (i32.or (i32.eq (local.get $node) (local.get $nid))
                        (i32.load8_u offset=73792 (local.get $node)))
              (then
                (local.set $skipped (i32.add (local.get $skipped) (i32.const 1)))
                (br $loop)))
            (local.set $base (i32.load (i32.add (local.get $secOff) (i32.shl (local.get $sec) (i32.const 2)))))
            (if (i32.eqz (local.get $base))
              (then (br $done)))))
        ;; this access's time: u32 at NOW, or (when $f64) f64 at NOW_F64 converted as ToUint32 does
        ;; (truncated, modulo 2^32): a truncated x in [-2^51, 2^51) plus 1.5 * 2^52 is a double in
        ;; [2^52, 2^53), its sign and exponent bits 0x433, whose low 32 bits are x modulo 2^32. Other
        ;; times (rare) take an i64 conversion; one it saturates on (infinite, or 2^63 or more in
        ;; size) is left to JavaScript: nowI + (2^63 - 1) is then 2^64 - 2 or - 1. NaN gives 0.
        ;; Times come in runs (a source's clock ticks far slower than accesses arrive): a time with the
        ;; same bits as the last one takes its value without converting again.
        (if (local.get $f64)
          (then
            (local.set $bits (i64.load offset=32832 (i32.shl (local.get $j) (i32.const 3))))
            (if (i64.ne (local.get $bits) (local.get $prevBits))
              (then
                (local.set $nowI (i64.reinterpret_f64 (f64.add (f64.trunc (f64.reinterpret_i64 (local.get $bits))) (f64.const 0x1.8p52))))
                (if (i64.ne (i64.shr_u (local.get $nowI) (i64.const 52)) (i64.const 0x433))
                  (then
                    (local.set $nowI (i64.trunc_sat_f64_s (f64.reinterpret_i64 (local.get $bits))))
                    (br_if $done (i64.ge_u (i64.add (local.get $nowI) (i64.const 0x7FFFFFFFFFFFFFFF)) (i64.const -2)))))
                (local.set $prevBits (local.get $bits))
                (local.set $prevNow (i32.wrap_i64 (local.get $nowI)))))
            (local.set $now (local.get $prevNow)))
          (else (local.set $now (i32.load offset=16448 (i32.shl (local.get $j) (i32.const 2))))))
        (local.set $addr (i32.add (local.get $base) (i32.and (local.get $pfn) (i32.const 32767))))
        (local.set $old (i32.load8_u (local.get $addr)))
        ;; next = table[((now >> 7) & 31) << 8 | old]
        (local.set $next
          (i32.load8_u offset=65600
            (i32.or
              (i32.shl (i32.and (i32.shr_u (local.get $now) (i32.const 7)) (i32.const 31)) (i32.const 8))
              (local.get $old))))
        (i32.store8 (local.get $addr) (local.get $next))
        ;; MIGRATE_READY: section hot flag, node activate flag
        (if (i32.ge_u (local.get $next) (i32.const 128))
          (then
            (i32.store8 (i32.add (local.get $hot) (local.get $sec)) (i32.const 1))
            (if (i32.lt_s (local.get $node) (i32.const 0))
              (then (local.set $node (i32.load16_s (i32.add (local.get $secNode) (i32.shl (local.get $sec) (i32.const 1)))))))
            (i32.store8 offset=74816 (local.get $node) (i32.const 1))))
        (br $loop)))
    ;; accesses $start..$j-1 were handled: each recorded but those skipped
    (i32.store (i32.const 0)
      (i32.add (i32.load (i32.const 0)) (i32.sub (i32.sub (local.get $j) (local.get $start)) (local.get $skipped))))
    (local.get $j))
  ;; record32: the same for precision-mode records (u32: nid 0-9, freq 10-12, time 13-26, ready 31).
  ;; $nidCmp is the accessing node for the local check, $nidStore what the record keeps (NUMA_NO_NODE
  ;; already resolved to target_nid); the update is pghot_update_record of the latest posting.
  (func (export "record32")
    (param $i i32) (param $count i32) (param $nidCmp i32) (param $nidStore i32) (param $end i32)
    (param $window i32) (param $threshold i32) (param $sticky i32)
    (param $secNode i32) (param $secOff i32) (param $hot i32) (param $fast i32) (param $f64 i32)
    (result i32)
    (local $start i32) (local $skipped i32)
    (local $pfn i32) (local $sec i32) (local $node i32) (local $base i32) (local $addr i32)
    (local $old i32) (local $next i32) (local $now i32) (local $freq i32) (local $j i32) (local $nowI i64)
    (local $bits i64) (local $prevBits i64) (local $prevNow i32) (local $keep i32)
    (local.set $start (local.get $i))
    (local.set $prevBits (i64.const 0x7FF8000000000001))
    ;; the bit of the old record kept: MIGRATE_READY when sticky
    (local.set $keep (if (result i32) (local.get $sticky) (then (i32.const 0x80000000)) (else (i32.const 0))))
    (block $done
      (loop $loop
        (local.set $j (local.get $i))
        (br_if $done (i32.ge_u (local.get $j) (local.get $count)))
        (local.set $i (i32.add (local.get $j) (i32.const 1)))
        (local.set $pfn (i32.load offset=64 (i32.shl (local.get $j) (i32.const 2))))
        (if (i32.ge_u (local.get $pfn) (local.get $end))
          (then
            (local.set $skipped (i32.add (local.get $skipped) (i32.const 1)))
            (br $loop)))
        (local.set $sec (i32.shr_u (local.get $pfn) (i32.const 15)))
        ;; the fast path and the checks one by one, as in record
        (local.set $node (i32.const -1))
        (local.set $base (if (result i32) (local.get $fast)
          (then (i32.load (i32.add (local.get $fast) (i32.shl (local.get $sec) (i32.const 2)))))
          (else (i32.const 0))))
        (if (i32.eqz (local.get $base))
          (then
            (local.set $node (i32.load16_s (i32.add (local.get $secNode) (i32.shl (local.get $sec) (i32.const 1)))))
            (if (i32.lt_s (local.get $node) (i32.const 0))
              (then (br $done)))
            (if (i32.or (i32.eq (local.get $node) (local.get $nidCmp))
                        (i32.load8_u offset=73792 (local.get $node)))
              (then
                (local.set $skipped (i32.add (local.get $skipped) (i32.const 1)))
                (br $loop)))
            (local.set $base (i32.load (i32.add (local.get $secOff) (i32.shl (local.get $sec) (i32.const 2)))))
            (if (i32.eqz (local.get $base))
              (then (br $done)))))
        ;; this access's time, as in record
        (if (local.get $f64)
          (then
            (local.set $bits (i64.load offset=32832 (i32.shl (local.get $j) (i32.const 3))))
            (if (i64.ne (local.get $bits) (local.get $prevBits))
              (then
                (local.set $nowI (i64.reinterpret_f64 (f64.add (f64.trunc (f64.reinterpret_i64 (local.get $bits))) (f64.const 0x1.8p52))))
                (if (i64.ne (i64.shr_u (local.get $nowI) (i64.const 52)) (i64.const 0x433))
                  (then
                    (local.set $nowI (i64.trunc_sat_f64_s (f64.reinterpret_i64 (local.get $bits))))
                    (br_if $done (i64.ge_u (i64.add (local.get $nowI) (i64.const 0x7FFFFFFFFFFFFFFF)) (i64.const -2)))))
                (local.set $prevBits (local.get $bits))
                (local.set $prevNow (i32.wrap_i64 (local.get $nowI)))))
            (local.set $now (local.get $prevNow)))
          (else (local.set $now (i32.load offset=16448 (i32.shl (local.get $j) (i32.const 2))))))
        (local.set $addr (i32.add (local.get $base) (i32.shl (i32.and (local.get $pfn) (i32.const 32767)) (i32.const 2))))
        (local.set $old (i32.load (local.get $addr)))
        ;; latency = (now - time) & 0x3FFF; strictly greater than the window restarts the count
        (local.set $freq (i32.and (i32.shr_u (local.get $old) (i32.const 10)) (i32.const 7)))
        (if (i32.gt_u
              (i32.and (i32.sub (local.get $now) (i32.shr_u (local.get $old) (i32.const 13))) (i32.const 16383))
              (local.get $window))
          (then (local.set $freq (i32.const 1)))
          (else (if (i32.lt_u (local.get $freq) (i32.const 7)) (then (local.set $freq (i32.add (local.get $freq) (i32.const 1)))))))
        (local.set $next
          (i32.or
            (i32.or (i32.or (local.get $nidStore) (i32.shl (local.get $freq) (i32.const 10)))
                    (i32.shl (i32.and (local.get $now) (i32.const 16383)) (i32.const 13)))
            (i32.and (local.get $old) (local.get $keep))))
        (if (i32.ge_u (local.get $freq) (local.get $threshold))
          (then (local.set $next (i32.or (local.get $next) (i32.const 0x80000000)))))
        (i32.store (local.get $addr) (local.get $next))
        (if (i32.lt_s (local.get $next) (i32.const 0))
          (then
            (i32.store8 (i32.add (local.get $hot) (local.get $sec)) (i32.const 1))
            (if (i32.lt_s (local.get $node) (i32.const 0))
              (then (local.set $node (i32.load16_s (i32.add (local.get $secNode) (i32.shl (local.get $sec) (i32.const 1)))))))
            (i32.store8 offset=74816 (local.get $node) (i32.const 1))))
        (br $loop)))
    (i32.store (i32.const 0)
      (i32.add (i32.load (i32.const 0)) (i32.sub (i32.sub (local.get $j) (local.get $start)) (local.get $skipped))))
    (local.get $j))
)
