;; The lackey line loop: parses the well-formed lines of a valgrind lackey --trace-mem=yes log held
;; in this module's memory, in one pass over their bytes, and writes their accesses into the batch
;; arrays. Built into lackey-wasm.ts by `pnpm build:wasm`; a test checks the two agree.
;;
;; parse(s, n, includeI, len, batch, vpn, size, line, write, hex, counts) reads lines from address s
;; up to n and returns the address of the first line it did not take; counts[0] says why:
;;   0  the line is incomplete (no newline before n), or s = n;
;;   1  the batch is full (len >= batch; a page-straddling access may leave one more at index batch);
;;   2  the line is not a well-formed I, L, S or M line: the checked parser in JavaScript takes it.
;; counts[1..7] receive this call's lines, instructions, loads, stores, modifies, accesses and
;; straddles, and counts[8] the batch length. hex is a 256-byte table of hex digit values, 255 for
;; any other byte. Reads up to 3 bytes past n (the caller leaves room); never writes there.
(module
  (memory (export "memory") 64)
  (func (export "parse")
    (param $s i32) (param $n i32) (param $includeI i32) (param $len i32) (param $batch i32)
    (param $vpn i32) (param $size i32) (param $line i32) (param $write i32) (param $hex i32) (param $counts i32)
    (result i32)
    (local $c0 i32) (local $p i32) (local $kind i32) (local $d i32) (local $addr i64) (local $sz i32)
    (local $sizeStart i32) (local $first i64) (local $last i64) (local $w i32) (local $stop i32)
    (local $lines i32) (local $instr i32) (local $loads i32) (local $stores i32) (local $mods i32)
    (local $acc i32) (local $strad i32)
    (block $exit
      (loop $next
        (br_if $exit (i32.ge_u (local.get $s) (local.get $n)))
        (if (i32.ge_u (local.get $len) (local.get $batch))
          (then (local.set $stop (i32.const 1)) (br $exit)))
        (local.set $c0 (i32.load8_u (local.get $s)))
        (local.set $kind (i32.const 0))
        (if (i32.eq (local.get $c0) (i32.const 73)) ;; I
          (then
            (if (i32.and (i32.eq (i32.load8_u offset=1 (local.get $s)) (i32.const 32))
                         (i32.eq (i32.load8_u offset=2 (local.get $s)) (i32.const 32)))
              (then
                (if (local.get $includeI)
                  (then (local.set $kind (i32.const 1)))
                  (else
                    ;; a skipped instruction fetch: only its shape is checked, an address digit
                    ;; first and a size digit last
                    (if (i32.eq (i32.load8_u (i32.add (local.get $hex) (i32.load8_u offset=3 (local.get $s)))) (i32.const 255))
                      (then (local.set $stop (i32.const 2)) (br $exit)))
                    (local.set $p (i32.add (local.get $s) (i32.const 4)))
                    (block $eol
                      (loop $scan
                        (br_if $eol (i32.ge_u (local.get $p) (local.get $n)))
                        (br_if $eol (i32.eq (i32.load8_u (local.get $p)) (i32.const 10)))
                        (local.set $p (i32.add (local.get $p) (i32.const 1)))
                        (br $scan)))
                    (br_if $exit (i32.ge_u (local.get $p) (local.get $n)))
                    (if (i32.lt_u (i32.sub (i32.load8_u (i32.sub (local.get $p) (i32.const 1))) (i32.const 48)) (i32.const 10))
                      (then
                        (local.set $lines (i32.add (local.get $lines) (i32.const 1)))
                        (local.set $instr (i32.add (local.get $instr) (i32.const 1)))
                        (local.set $s (i32.add (local.get $p) (i32.const 1)))
                        (br $next)))
                    (local.set $stop (i32.const 2))
                    (br $exit))))))
          (else
            (if (i32.and (i32.eq (local.get $c0) (i32.const 32))
                         (i32.eq (i32.load8_u offset=2 (local.get $s)) (i32.const 32)))
              (then
                (local.set $d (i32.load8_u offset=1 (local.get $s)))
                (if (i32.eq (local.get $d) (i32.const 76)) (then (local.set $kind (i32.const 2))))   ;; L
                (if (i32.eq (local.get $d) (i32.const 83)) (then (local.set $kind (i32.const 3))))   ;; S
                (if (i32.eq (local.get $d) (i32.const 77)) (then (local.set $kind (i32.const 4)))))))) ;; M
        (if (i32.eqz (local.get $kind))
          (then (local.set $stop (i32.const 2)) (br $exit)))
        ;; the address: 8 to 13 hex digits, then a comma
        (local.set $p (i32.add (local.get $s) (i32.const 3)))
        (local.set $addr (i64.const 0))
        (block $hexEnd
          (loop $hexLoop
            (br_if $hexEnd (i32.ge_u (local.get $p) (local.get $n)))
            (local.set $d (i32.load8_u (i32.add (local.get $hex) (i32.load8_u (local.get $p)))))
            (br_if $hexEnd (i32.eq (local.get $d) (i32.const 255)))
            (local.set $addr (i64.or (i64.shl (local.get $addr) (i64.const 4)) (i64.extend_i32_u (local.get $d))))
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (br $hexLoop)))
        (br_if $exit (i32.ge_u (local.get $p) (local.get $n)))
        (local.set $d (i32.sub (local.get $p) (i32.add (local.get $s) (i32.const 3))))
        (if (i32.or (i32.ne (i32.load8_u (local.get $p)) (i32.const 44))
                    (i32.gt_u (i32.sub (local.get $d) (i32.const 8)) (i32.const 5)))
          (then (local.set $stop (i32.const 2)) (br $exit)))
        ;; the size: decimal 1..4096, then the newline
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (local.set $sizeStart (local.get $p))
        (local.set $sz (i32.const 0))
        (block $sizeEnd
          (loop $sizeLoop
            (br_if $sizeEnd (i32.ge_u (local.get $p) (local.get $n)))
            (local.set $d (i32.sub (i32.load8_u (local.get $p)) (i32.const 48)))
            (br_if $sizeEnd (i32.ge_u (local.get $d) (i32.const 10)))
            ;; saturates, so that no count of digits wraps back into range
            (if (i32.lt_u (local.get $sz) (i32.const 100000))
              (then (local.set $sz (i32.add (i32.mul (local.get $sz) (i32.const 10)) (local.get $d)))))
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (br $sizeLoop)))
        (br_if $exit (i32.ge_u (local.get $p) (local.get $n)))
        (if (i32.or (i32.or (i32.ne (i32.load8_u (local.get $p)) (i32.const 10))
                            (i32.eq (local.get $p) (local.get $sizeStart)))
                    (i32.gt_u (i32.sub (local.get $sz) (i32.const 1)) (i32.const 4095)))
          (then (local.set $stop (i32.const 2)) (br $exit)))
        ;; a well-formed line: count it and emit one access per page it touches
        (local.set $lines (i32.add (local.get $lines) (i32.const 1)))
        (if (i32.eq (local.get $kind) (i32.const 1)) (then (local.set $instr (i32.add (local.get $instr) (i32.const 1)))))
        (if (i32.eq (local.get $kind) (i32.const 2)) (then (local.set $loads (i32.add (local.get $loads) (i32.const 1)))))
        (if (i32.eq (local.get $kind) (i32.const 3)) (then (local.set $stores (i32.add (local.get $stores) (i32.const 1)))))
        (if (i32.eq (local.get $kind) (i32.const 4)) (then (local.set $mods (i32.add (local.get $mods) (i32.const 1)))))
        (local.set $w (i32.ge_u (local.get $kind) (i32.const 3)))
        (local.set $first (i64.shr_u (local.get $addr) (i64.const 12)))
        (local.set $last (i64.shr_u (i64.add (local.get $addr) (i64.extend_i32_u (i32.sub (local.get $sz) (i32.const 1)))) (i64.const 12)))
        (f64.store (i32.add (local.get $vpn) (i32.shl (local.get $len) (i32.const 3))) (f64.convert_i64_u (local.get $first)))
        (i32.store8 (i32.add (local.get $line) (local.get $len)) (i32.wrap_i64 (i64.shr_u (i64.and (local.get $addr) (i64.const 4095)) (i64.const 6))))
        (i32.store8 (i32.add (local.get $write) (local.get $len)) (local.get $w))
        (i32.store16 (i32.add (local.get $size) (i32.shl (local.get $len) (i32.const 1))) (local.get $sz))
        (local.set $len (i32.add (local.get $len) (i32.const 1)))
        (local.set $acc (i32.add (local.get $acc) (i32.const 1)))
        (if (i64.ne (local.get $last) (local.get $first))
          (then
            (f64.store (i32.add (local.get $vpn) (i32.shl (local.get $len) (i32.const 3))) (f64.convert_i64_u (local.get $last)))
            (i32.store8 (i32.add (local.get $line) (local.get $len)) (i32.const 0))
            (i32.store8 (i32.add (local.get $write) (local.get $len)) (local.get $w))
            (i32.store16 (i32.add (local.get $size) (i32.shl (local.get $len) (i32.const 1))) (local.get $sz))
            (local.set $len (i32.add (local.get $len) (i32.const 1)))
            (local.set $acc (i32.add (local.get $acc) (i32.const 1)))
            (local.set $strad (i32.add (local.get $strad) (i32.const 1)))))
        (local.set $s (i32.add (local.get $p) (i32.const 1)))
        (br $next)))
    (i32.store (local.get $counts) (local.get $stop))
    (i32.store offset=4 (local.get $counts) (local.get $lines))
    (i32.store offset=8 (local.get $counts) (local.get $instr))
    (i32.store offset=12 (local.get $counts) (local.get $loads))
    (i32.store offset=16 (local.get $counts) (local.get $stores))
    (i32.store offset=20 (local.get $counts) (local.get $mods))
    (i32.store offset=24 (local.get $counts) (local.get $acc))
    (i32.store offset=28 (local.get $counts) (local.get $strad))
    (i32.store offset=32 (local.get $counts) (local.get $len))
    (local.get $s)))
