;; The simulator's replay loop for plain accesses: a page that is mapped and not PROTNONE, with no
;; LLC model. It does what Simulation#replay does for such an access, in the same order and with the
;; same float arithmetic, over arrays that live in this module's memory, including a hotness
;; monitor's countdown (HotnessMonitor.access) when $hmuLeft is not 0. A PMU sampler's tagged access
;; is left to JavaScript by its caller, which ends the batch (len) before it.
;; Built into replay-wasm.ts by `pnpm build:wasm`; a test checks the two agree.
;;
;; replay(...) runs accesses i.. of the batch while i < len and t < until, and returns the index of
;; the first one it did not run: the end, the time limit, or an access JavaScript must run (a first
;; touch, or a hint fault). At out it leaves the clock t (f64), and this call's fast, slow and done
;; counts and the monitor's device and counted accesses (i32 at out+8, +12, +16, +20, +24).
(module
  (import "env" "memory" (memory 1))
  (func (export "replay")
    (param $i i32) (param $len i32) (param $t f64) (param $until f64) (param $cpuNs f64)
    (param $vpages i32) (param $pte i32) (param $flags i32) (param $headPlus1 i32) (param $accessed i32)
    (param $nodeOfSection i32) (param $sectionShift i32) (param $latency i32) (param $top i32)
    (param $counts i32) (param $threads i32) (param $tid i32) (param $base i32) (param $headIsPfn i32)
    (param $vcur i32) (param $vshift i32) (param $pcur i32) (param $prow i32) (param $pshift i32)
    (param $hmuLeft i32) (param $hmuCounts i32) (param $unitShift i32) (param $factor i32)
    (param $out i32)
    (result i32)
    (local $v i32) (local $pfn i32) (local $ni i32) (local $g i32) (local $a i32)
    (local $fast i32) (local $done i32) (local $device i32) (local $counted i32) (local $left i32) (local $topTier i32)
    (block $stop
      (loop $next
        (br_if $stop (i32.ge_u (local.get $i) (local.get $len)))
        (br_if $stop (i32.eqz (f64.lt (local.get $t) (local.get $until))))
        (local.set $v (i32.load (i32.add (local.get $vpages) (i32.shl (local.get $i) (i32.const 2)))))
        (local.set $pfn (i32.load (i32.add (local.get $pte) (i32.shl (local.get $v) (i32.const 2)))))
        ;; a first touch, or PROTNONE (a hint fault): JavaScript runs it
        (br_if $stop (i32.lt_s (local.get $pfn) (i32.const 0)))
        (br_if $stop (i32.and (i32.load8_u (i32.add (local.get $flags) (local.get $v))) (i32.const 2)))
        ;; the Accessed bit of the folio, at its head (the PFN itself when there is no THP)
        (i32.store8
          (i32.add (local.get $accessed)
            (if (result i32) (local.get $headIsPfn)
              (then (local.get $pfn))
              (else (i32.sub (i32.load (i32.add (local.get $headPlus1) (i32.shl (local.get $pfn) (i32.const 2)))) (i32.const 1)))))
          (i32.const 1))
        (local.set $done (i32.add (local.get $done) (i32.const 1)))
        (local.set $ni (i32.load8_s (i32.add (local.get $nodeOfSection) (i32.shr_u (local.get $pfn) (local.get $sectionShift)))))
        (local.set $topTier (i32.load8_u (i32.add (local.get $top) (local.get $ni))))
        ;; the oracles' counts and the heatmap's cells (OracleRecorder.record, HeatmapRecorder.access)
        (local.set $g (i32.add (local.get $base) (local.get $v)))
        (local.set $a (i32.add (local.get $counts)
          (i32.shl (i32.add (i32.mul (local.get $g) (local.get $threads)) (local.get $tid)) (i32.const 3))))
        (i32.store (local.get $a) (i32.add (i32.load (local.get $a)) (i32.const 1)))
        (i32.store offset=4 (local.get $a) (i32.add (i32.load offset=4 (local.get $a)) (i32.const 1)))
        (local.set $a (i32.add (local.get $vcur) (i32.shl (i32.shr_u (local.get $g) (local.get $vshift)) (i32.const 2))))
        (i32.store (local.get $a) (i32.add (i32.load (local.get $a)) (i32.const 1)))
        (local.set $a (i32.add (local.get $pcur)
          (i32.shl (i32.load8_u (i32.add (local.get $prow) (i32.shr_u (local.get $pfn) (local.get $pshift)))) (i32.const 2))))
        (i32.store (local.get $a) (i32.add (i32.load (local.get $a)) (i32.const 1)))
        ;; a lower-tier access counts down its node's monitor; every factor-th counts in its unit
        (if (i32.and (i32.ne (local.get $hmuLeft) (i32.const 0))
                     (i32.eqz (local.get $topTier)))
          (then
            (local.set $device (i32.add (local.get $device) (i32.const 1)))
            (local.set $a (i32.add (local.get $hmuLeft) (i32.shl (local.get $ni) (i32.const 2))))
            (local.set $left (i32.sub (i32.load (local.get $a)) (i32.const 1)))
            (if (local.get $left)
              (then (i32.store (local.get $a) (local.get $left)))
              (else
                (i32.store (local.get $a) (local.get $factor))
                (local.set $a (i32.add (local.get $hmuCounts) (i32.shl (i32.shr_u (local.get $pfn) (local.get $unitShift)) (i32.const 2))))
                (i32.store (local.get $a) (i32.add (i32.load (local.get $a)) (i32.const 1)))
                (local.set $counted (i32.add (local.get $counted) (i32.const 1)))))))
        ;; the access's time, and fast when its node is top tier ($top holds 0 or 1: no branch); the
        ;; rest of the accesses done are slow
        (local.set $t (f64.add (local.get $t)
          (f64.add (local.get $cpuNs) (f64.load (i32.add (local.get $latency) (i32.shl (local.get $ni) (i32.const 3)))))))
        (local.set $fast (i32.add (local.get $fast) (local.get $topTier)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (f64.store (local.get $out) (local.get $t))
    (i32.store offset=8 (local.get $out) (local.get $fast))
    (i32.store offset=12 (local.get $out) (i32.sub (local.get $done) (local.get $fast)))
    (i32.store offset=16 (local.get $out) (local.get $done))
    (i32.store offset=20 (local.get $out) (local.get $device))
    (i32.store offset=24 (local.get $out) (local.get $counted))
    (local.get $i)))
