;; The record loops (pghot_record_access steps 4-10 for batches without a memory model), default
;; mode (record) and precision mode (record32), over records that live in this module's memory. Built into record-wasm.ts by
;; `pnpm build:wasm`; a test checks the two agree.
;;
;; record(i, count, nid, ...bases) walks accesses i..count-1 of the scratch arrays and returns the
;; index of the first one it cannot handle (a PFN in a partly covered section, or in a section whose
;; records are not allocated yet, or a time it does not convert: the engine does that one in
;; JavaScript and calls again), or count.
;; Records it writes are added to the i32 at address 0.
(module
  (memory (export "memory") 1)
  (func (export "record")
    (param $i i32) (param $count i32) (param $nid i32) (param $end i32)
    (param $pfns i32) (param $nows i32) (param $table i32) (param $secNode i32) (param $secOff i32)
    (param $nodeTop i32) (param $hot i32) (param $act i32) (param $fast i32) (param $nowsF i32)
    (result i32)
    (local $pfn i32) (local $sec i32) (local $node i32) (local $base i32) (local $addr i32)
    (local $old i32) (local $next i32) (local $rec i32) (local $j i32) (local $now i32) (local $nowI i64)
    (local $bits i64) (local $prevBits i64) (local $prevNow i32)
    ;; the last converted time (its bits and value): NaN, whose value is 0, to begin with
    (local.set $prevBits (i64.const 0x7FF8000000000001))
    (block $done
      (loop $loop
        (br_if $done (i32.ge_u (local.get $i) (local.get $count)))
        ;; $j: this access; $i: the next one (the paths that skip an access go straight to $loop)
        (local.set $j (local.get $i))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (local.set $pfn (i32.load (i32.add (local.get $pfns) (i32.shl (local.get $j) (i32.const 2)))))
        ;; PFNs past the last node: invalid, counted under the source but not recorded
        (br_if $loop (i32.ge_u (local.get $pfn) (local.get $end)))
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
              (then
                (i32.store (i32.const 0) (i32.add (i32.load (i32.const 0)) (local.get $rec)))
                (return (local.get $j))))
            ;; local, or top tier: not recorded
            (br_if $loop (i32.or (i32.eq (local.get $node) (local.get $nid))
                                 (i32.load8_u (i32.add (local.get $nodeTop) (local.get $node)))))
            (local.set $base (i32.load (i32.add (local.get $secOff) (i32.shl (local.get $sec) (i32.const 2)))))
            (if (i32.eqz (local.get $base))
              (then
                (i32.store (i32.const 0) (i32.add (i32.load (i32.const 0)) (local.get $rec)))
                (return (local.get $j))))))
        ;; this access's time: u32 at $nows, or f64 at $nowsF (when not 0) converted as ToUint32 does
        ;; (truncated, modulo 2^32): a truncated x in [-2^51, 2^51) plus 1.5 * 2^52 is a double in
        ;; [2^52, 2^53), its sign and exponent bits 0x433, whose low 32 bits are x modulo 2^32. Other
        ;; times (rare) take an i64 conversion; one it saturates on (infinite, or 2^63 or more in
        ;; size) is left to JavaScript: nowI + (2^63 - 1) is then 2^64 - 2 or - 1. NaN gives 0.
        ;; Times come in runs (a source's clock ticks far slower than accesses arrive): a time with the
        ;; same bits as the last one takes its value without converting again.
        (if (local.get $nowsF)
          (then
            (local.set $bits (i64.load (i32.add (local.get $nowsF) (i32.shl (local.get $j) (i32.const 3)))))
            (if (i64.ne (local.get $bits) (local.get $prevBits))
              (then
                (local.set $nowI (i64.reinterpret_f64 (f64.add (f64.trunc (f64.reinterpret_i64 (local.get $bits))) (f64.const 0x1.8p52))))
                (if (i64.ne (i64.shr_u (local.get $nowI) (i64.const 52)) (i64.const 0x433))
                  (then
                    (local.set $nowI (i64.trunc_sat_f64_s (f64.reinterpret_i64 (local.get $bits))))
                    (if (i64.ge_u (i64.add (local.get $nowI) (i64.const 0x7FFFFFFFFFFFFFFF)) (i64.const -2))
                      (then
                        (i32.store (i32.const 0) (i32.add (i32.load (i32.const 0)) (local.get $rec)))
                        (return (local.get $j))))))
                (local.set $prevBits (local.get $bits))
                (local.set $prevNow (i32.wrap_i64 (local.get $nowI)))))
            (local.set $now (local.get $prevNow)))
          (else (local.set $now (i32.load (i32.add (local.get $nows) (i32.shl (local.get $j) (i32.const 2)))))))
        (local.set $addr (i32.add (local.get $base) (i32.and (local.get $pfn) (i32.const 32767))))
        (local.set $old (i32.load8_u (local.get $addr)))
        ;; next = table[((now >> 7) & 31) << 8 | old]
        (local.set $next
          (i32.load8_u
            (i32.add (local.get $table)
              (i32.or
                (i32.shl (i32.and (i32.shr_u (local.get $now) (i32.const 7)) (i32.const 31)) (i32.const 8))
                (local.get $old)))))
        (i32.store8 (local.get $addr) (local.get $next))
        (local.set $rec (i32.add (local.get $rec) (i32.const 1)))
        ;; MIGRATE_READY: section hot flag, node activate flag
        (if (i32.ge_u (local.get $next) (i32.const 128))
          (then
            (i32.store8 (i32.add (local.get $hot) (local.get $sec)) (i32.const 1))
            (if (i32.lt_s (local.get $node) (i32.const 0))
              (then (local.set $node (i32.load16_s (i32.add (local.get $secNode) (i32.shl (local.get $sec) (i32.const 1)))))))
            (i32.store8 (i32.add (local.get $act) (local.get $node)) (i32.const 1))))
        (br $loop)))
    (i32.store (i32.const 0) (i32.add (i32.load (i32.const 0)) (local.get $rec)))
    (local.get $i))
  ;; record32: the same for precision-mode records (u32: nid 0-9, freq 10-12, time 13-26, ready 31).
  ;; $nidCmp is the accessing node for the local check, $nidStore what the record keeps (NUMA_NO_NODE
  ;; already resolved to target_nid); the update is pghot_update_record of the latest posting.
  (func (export "record32")
    (param $i i32) (param $count i32) (param $nidCmp i32) (param $nidStore i32) (param $end i32)
    (param $window i32) (param $threshold i32) (param $sticky i32)
    (param $pfns i32) (param $nows i32) (param $secNode i32) (param $secOff i32)
    (param $nodeTop i32) (param $hot i32) (param $act i32) (param $fast i32) (param $nowsF i32)
    (result i32)
    (local $pfn i32) (local $sec i32) (local $node i32) (local $base i32) (local $addr i32)
    (local $old i32) (local $next i32) (local $rec i32) (local $now i32) (local $freq i32) (local $j i32) (local $nowI i64)
    (local $bits i64) (local $prevBits i64) (local $prevNow i32)
    (local.set $prevBits (i64.const 0x7FF8000000000001))
    (block $done
      (loop $loop
        (br_if $done (i32.ge_u (local.get $i) (local.get $count)))
        (local.set $j (local.get $i))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (local.set $pfn (i32.load (i32.add (local.get $pfns) (i32.shl (local.get $j) (i32.const 2)))))
        (br_if $loop (i32.ge_u (local.get $pfn) (local.get $end)))
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
              (then
                (i32.store (i32.const 0) (i32.add (i32.load (i32.const 0)) (local.get $rec)))
                (return (local.get $j))))
            (br_if $loop (i32.or (i32.eq (local.get $node) (local.get $nidCmp))
                                 (i32.load8_u (i32.add (local.get $nodeTop) (local.get $node)))))
            (local.set $base (i32.load (i32.add (local.get $secOff) (i32.shl (local.get $sec) (i32.const 2)))))
            (if (i32.eqz (local.get $base))
              (then
                (i32.store (i32.const 0) (i32.add (i32.load (i32.const 0)) (local.get $rec)))
                (return (local.get $j))))))
        ;; this access's time: u32 at $nows, or f64 at $nowsF (when not 0) converted as ToUint32 does
        ;; (truncated, modulo 2^32): a truncated x in [-2^51, 2^51) plus 1.5 * 2^52 is a double in
        ;; [2^52, 2^53), its sign and exponent bits 0x433, whose low 32 bits are x modulo 2^32. Other
        ;; times (rare) take an i64 conversion; one it saturates on (infinite, or 2^63 or more in
        ;; size) is left to JavaScript: nowI + (2^63 - 1) is then 2^64 - 2 or - 1. NaN gives 0. A run of
        ;; one time is converted once, as in record.
        (if (local.get $nowsF)
          (then
            (local.set $bits (i64.load (i32.add (local.get $nowsF) (i32.shl (local.get $j) (i32.const 3)))))
            (if (i64.ne (local.get $bits) (local.get $prevBits))
              (then
                (local.set $nowI (i64.reinterpret_f64 (f64.add (f64.trunc (f64.reinterpret_i64 (local.get $bits))) (f64.const 0x1.8p52))))
                (if (i64.ne (i64.shr_u (local.get $nowI) (i64.const 52)) (i64.const 0x433))
                  (then
                    (local.set $nowI (i64.trunc_sat_f64_s (f64.reinterpret_i64 (local.get $bits))))
                    (if (i64.ge_u (i64.add (local.get $nowI) (i64.const 0x7FFFFFFFFFFFFFFF)) (i64.const -2))
                      (then
                        (i32.store (i32.const 0) (i32.add (i32.load (i32.const 0)) (local.get $rec)))
                        (return (local.get $j))))))
                (local.set $prevBits (local.get $bits))
                (local.set $prevNow (i32.wrap_i64 (local.get $nowI)))))
            (local.set $now (local.get $prevNow)))
          (else (local.set $now (i32.load (i32.add (local.get $nows) (i32.shl (local.get $j) (i32.const 2)))))))
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
          (i32.or (i32.or (local.get $nidStore) (i32.shl (local.get $freq) (i32.const 10)))
                  (i32.shl (i32.and (local.get $now) (i32.const 16383)) (i32.const 13))))
        (if (i32.ge_u (local.get $freq) (local.get $threshold))
          (then (local.set $next (i32.or (local.get $next) (i32.const 0x80000000)))))
        (if (local.get $sticky)
          (then (local.set $next (i32.or (local.get $next) (i32.and (local.get $old) (i32.const 0x80000000))))))
        (i32.store (local.get $addr) (local.get $next))
        (local.set $rec (i32.add (local.get $rec) (i32.const 1)))
        (if (i32.lt_s (local.get $next) (i32.const 0))
          (then
            (i32.store8 (i32.add (local.get $hot) (local.get $sec)) (i32.const 1))
            (if (i32.lt_s (local.get $node) (i32.const 0))
              (then (local.set $node (i32.load16_s (i32.add (local.get $secNode) (i32.shl (local.get $sec) (i32.const 1)))))))
            (i32.store8 (i32.add (local.get $act) (local.get $node)) (i32.const 1))))
        (br $loop)))
    (i32.store (i32.const 0) (i32.add (i32.load (i32.const 0)) (local.get $rec)))
    (local.get $i))
)
