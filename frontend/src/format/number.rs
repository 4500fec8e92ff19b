//! Floats as text by integer arithmetic: the page's only way of writing an
//! `f64`, so that Rust's float printer is not in the page at all.
//!
//! Why: `format!("{x:.1}")`, `x.to_string()`, `{x}` and an `f64` handed to
//! a view as an attribute or text (which tachys writes with `Display`)
//! each link core's `flt2dec`: Grisu with a Dragon fallback and its bignum,
//! in both its exact (`{:.N}`) and shortest (`{}`) forms, ~20 KB of wasm
//! code; and serde_json writing an `f64` links its own (`zmij`). The page
//! needs far less: a float with a fixed number of decimals (its text and
//! its SVG coordinates), and a float as a JSON number that reads back to
//! the same `f64` (the messages it sends, the run it saves). docs/page-weight.md.
//!
//! - [`fixed`] is `format!("{x:.N}")`, character for character (a native
//!   test compares them over many values): the exact binary value rounded
//!   half to even at the `N`th decimal, `-` for any negative value (so
//!   `-0.0` and `-0.01` at one decimal are `-0.0`), `NaN`, `inf`, `-inf`.
//! - [`coord`] is a drawing coordinate: [`fixed`] to two decimals with the
//!   trailing zeros dropped (`640`, `161.6`, `63.51`). Where the page gave
//!   tachys the `f64` itself, `Display` wrote its shortest form (`640`,
//!   `161.6`, `63.513600000000004`); a hundredth of a user unit is far
//!   below a pixel in every drawing here.
//! - [`push_json`] writes a finite float as a JSON number that parses back
//!   to the same `f64`, in the fewest decimals that do (checked exactly
//!   against the float's rounding interval): the text serde_json writes
//!   wherever serde_json uses no exponent (tested), `.0` on whole numbers
//!   included; `null` if not finite, as serde_json writes it.
//!
//! All three work on the float's exact value `m·2^e` with a small
//! fixed-size bignum, so there is no case they get slightly wrong, and no
//! table of powers of ten in the page.

/// Limbs of [`Big`]: 40 × 32 = 1 280 bits, more than the largest value
/// formed here: `m·2^e` for the largest finite `f64` (1 024 bits), or
/// `m·10^n` (53 + 3.33·n bits) for up to [`MAX_DECIMALS`] decimals.
const LIMBS: usize = 40;

/// The most decimals [`fixed`] writes exactly (any `f64`'s exact value has
/// at most 1 074, but the page asks for five at most).
pub const MAX_DECIMALS: usize = 340;

/// An unsigned integer, little-endian base-2³² limbs, `len` of them in use
/// (no leading zero limbs, so zero has `len == 0`).
#[derive(Clone, Copy)]
struct Big {
    limbs: [u32; LIMBS],
    len: usize,
}

impl Big {
    fn from_u64(n: u64) -> Big {
        let mut big = Big { limbs: [0; LIMBS], len: 2 };
        big.limbs[0] = n as u32;
        big.limbs[1] = (n >> 32) as u32;
        big.trim();
        big
    }

    fn trim(&mut self) {
        while self.len > 0 && self.limbs[self.len - 1] == 0 {
            self.len -= 1;
        }
    }

    fn is_zero(&self) -> bool {
        self.len == 0
    }

    fn cmp(&self, other: &Big) -> std::cmp::Ordering {
        self.len
            .cmp(&other.len)
            .then_with(|| self.limbs[..self.len].iter().rev().cmp(other.limbs[..other.len].iter().rev()))
    }

    fn mul_small(&mut self, k: u32) {
        let mut carry = 0u64;
        for limb in &mut self.limbs[..self.len] {
            let v = u64::from(*limb) * u64::from(k) + carry;
            *limb = v as u32;
            carry = v >> 32;
        }
        if carry > 0 {
            self.limbs[self.len] = carry as u32;
            self.len += 1;
        }
    }

    /// Times 10^n.
    fn mul_pow10(&mut self, mut n: usize) {
        while n >= 9 {
            self.mul_small(1_000_000_000);
            n -= 9;
        }
        let mut k = 1;
        for _ in 0..n {
            k *= 10;
        }
        self.mul_small(k);
    }

    fn bit(&self, i: usize) -> bool {
        let limb = i / 32;
        limb < self.len && self.limbs[limb] >> (i % 32) & 1 == 1
    }

    /// Whether any of the bits below `i` is set.
    fn any_below(&self, i: usize) -> bool {
        let whole = (i / 32).min(self.len);
        if self.limbs[..whole].iter().any(|&l| l != 0) {
            return true;
        }
        whole < self.len && !i.is_multiple_of(32) && self.limbs[whole] & ((1u32 << (i % 32)) - 1) != 0
    }

    fn shl(&mut self, bits: usize) {
        if self.is_zero() {
            return;
        }
        let (limbs, bits) = (bits / 32, bits % 32);
        let old = self.len;
        // One more limb for what the bit shift carries out of the top.
        let new = old + limbs + 1;
        for i in (0..new).rev() {
            let hi = i.checked_sub(limbs).filter(|&j| j < old).map_or(0, |j| self.limbs[j]);
            let lo = i.checked_sub(limbs + 1).filter(|&j| j < old).map_or(0, |j| self.limbs[j]);
            self.limbs[i] = if bits == 0 { hi } else { hi << bits | lo >> (32 - bits) };
        }
        self.len = new;
        self.trim();
    }

    fn shr(&mut self, bits: usize) {
        let (limbs, bits) = (bits / 32, bits % 32);
        if limbs >= self.len {
            self.len = 0;
            return;
        }
        let new = self.len - limbs;
        for i in 0..new {
            let lo = self.limbs[i + limbs];
            let hi = if i + limbs + 1 < self.len { self.limbs[i + limbs + 1] } else { 0 };
            self.limbs[i] = if bits == 0 { lo } else { lo >> bits | hi << (32 - bits) };
        }
        self.len = new;
        self.trim();
    }

    fn add_one(&mut self) {
        for limb in &mut self.limbs[..self.len] {
            let (v, carry) = limb.overflowing_add(1);
            *limb = v;
            if !carry {
                return;
            }
        }
        self.limbs[self.len] = 1;
        self.len += 1;
    }

    /// Divides by `k` in place and returns the remainder.
    fn div_small(&mut self, k: u32) -> u32 {
        let mut rem = 0u64;
        for limb in self.limbs[..self.len].iter_mut().rev() {
            let v = rem << 32 | u64::from(*limb);
            *limb = (v / u64::from(k)) as u32;
            rem = v % u64::from(k);
        }
        self.trim();
        rem as u32
    }

    /// Appends the decimal digits (`0` for zero).
    fn push_digits(mut self, out: &mut Vec<u8>) {
        // Base 10⁹ chunks, least significant first.
        let mut chunks = Vec::new();
        while !self.is_zero() {
            chunks.push(self.div_small(1_000_000_000));
        }
        let Some((top, rest)) = chunks.split_last() else {
            out.push(b'0');
            return;
        };
        push_u32(out, *top, 0);
        for &chunk in rest.iter().rev() {
            push_u32(out, chunk, 9);
        }
    }
}

/// `n` in decimal, left-padded with zeros to `width`.
fn push_u32(out: &mut Vec<u8>, mut n: u32, width: usize) {
    let mut buf = [0u8; 10];
    let mut i = buf.len();
    while n > 0 || buf.len() - i < width.max(1) {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
    }
    out.extend_from_slice(&buf[i..]);
}

/// A finite, non-negative float's exact value as `m·2^e`.
fn parts(x: f64) -> (u64, i32) {
    let bits = x.to_bits();
    let exp = ((bits >> 52) & 0x7ff) as i32;
    let frac = bits & ((1 << 52) - 1);
    if exp == 0 {
        (frac, -1074)
    } else {
        (frac | 1 << 52, exp - 1075)
    }
}

/// `|x|·10^n` rounded half to even to an integer, for a finite `x` (and,
/// for a whole `x` of 2⁵² or more, a small `n`: see [`push_fixed`]).
fn scaled(x: f64, n: usize) -> Big {
    let (m, e) = parts(x);
    let mut big = Big::from_u64(m);
    big.mul_pow10(n);
    if e >= 0 {
        big.shl(e as usize);
        return big;
    }
    let s = e.unsigned_abs() as usize;
    let half = big.bit(s - 1);
    let sticky = big.any_below(s - 1);
    big.shr(s);
    if half && (sticky || big.bit(0)) {
        big.add_one();
    }
    big
}

/// The digits of `scaled` with a decimal point `n` places from the right.
fn push_scaled(out: &mut Vec<u8>, big: Big, n: usize) {
    let start = out.len();
    big.push_digits(out);
    if n == 0 {
        return;
    }
    // At least one digit before the point.
    let digits = out.len() - start;
    if digits <= n {
        let zeros = n + 1 - digits;
        out.splice(start..start, std::iter::repeat_n(b'0', zeros));
    }
    let point = out.len() - n;
    out.insert(point, b'.');
}

/// Appends `x` with `decimals` digits after the point, exactly as
/// `format!("{x:.decimals$}")` writes it (see the module's doc).
fn push_fixed(out: &mut String, x: f64, decimals: usize) {
    debug_assert!(decimals <= MAX_DECIMALS);
    if x.is_nan() {
        out.push_str("NaN");
        return;
    }
    if x.is_sign_negative() {
        out.push('-');
    }
    if x.is_infinite() {
        out.push_str("inf");
        return;
    }
    let mut bytes = Vec::new();
    if parts(x).1 >= 0 {
        // A whole number (2⁵² and up): its digits, then zeros, rather
        // than a bignum of up to 1 024 bits times 10ⁿ.
        push_scaled(&mut bytes, scaled(x, 0), 0);
        if decimals > 0 {
            bytes.push(b'.');
            bytes.resize(bytes.len() + decimals, b'0');
        }
    } else {
        push_scaled(&mut bytes, scaled(x, decimals), decimals);
    }
    push_ascii(out, &bytes);
}

/// `x` with `decimals` digits after the point: `format!("{x:.decimals$}")`.
pub fn fixed(x: f64, decimals: usize) -> String {
    let mut out = String::new();
    push_fixed(&mut out, x, decimals);
    out
}

/// A drawing coordinate for an SVG attribute or path: two decimals at
/// most, trailing zeros (and a bare point) dropped.
pub fn coord(x: f64) -> String {
    let mut out = fixed(x, 2);
    if out.contains('.') {
        let kept = out.trim_end_matches('0').trim_end_matches('.').len();
        out.truncate(kept);
    }
    out
}

/// Appends `x` as a JSON number that reads back as the same `f64` (see the
/// module's doc); `null` if `x` is not finite.
pub fn push_json(out: &mut String, x: f64) {
    if !x.is_finite() {
        out.push_str("null");
        return;
    }
    if x.is_sign_negative() {
        out.push('-');
    }
    let abs = x.abs();
    let mut bytes = Vec::new();
    if abs >= 9_007_199_254_740_992.0 {
        push_large(&mut bytes, abs);
    } else {
        // The fewest decimals that read back: each `n` rounds the exact
        // value to `n` decimals and checks it lies within the float's
        // rounding interval; 17 significant digits always do.
        let mut n = 0;
        let d = loop {
            let d = scaled(abs, n);
            if n >= MAX_DECIMALS || reads_back(d, n, abs) {
                break d;
            }
            n += 1;
        };
        push_scaled(&mut bytes, d, n);
    }
    push_ascii(out, &bytes);
    if !bytes.iter().any(|&b| b == b'.' || b == b'e') {
        out.push_str(".0");
    }
}

/// Whether `d·10⁻ⁿ` parses back to `x` (finite, non-negative, under 2⁵³):
/// whether it lies within the interval of values that round to `x`, its
/// ends included when `x`'s significand is even (ties round to even).
/// Everything is scaled to whole numbers: `d·2^(s+2)` against
/// `(4m ± 2)·10ⁿ`, or `4m − 1` below a power of two, whose lower
/// neighbour is half as far.
fn reads_back(d: Big, n: usize, x: f64) -> bool {
    let (m, e) = parts(x);
    if m == 0 {
        return d.is_zero();
    }
    let s = e.unsigned_abs() as usize;
    let mut value = d;
    value.shl(s + 2);
    let below = if m == 1 << 52 && e > -1074 { 1 } else { 2 };
    let mut low = Big::from_u64(4 * m - below);
    low.mul_pow10(n);
    let mut high = Big::from_u64(4 * m + 2);
    high.mul_pow10(n);
    let even = m % 2 == 0;
    let above_low = match value.cmp(&low) {
        std::cmp::Ordering::Greater => true,
        std::cmp::Ordering::Equal => even,
        std::cmp::Ordering::Less => false,
    };
    let below_high = match value.cmp(&high) {
        std::cmp::Ordering::Less => true,
        std::cmp::Ordering::Equal => even,
        std::cmp::Ordering::Greater => false,
    };
    above_low && below_high
}

/// A whole number of 2⁵³ or more as JSON: its exact digits up to 17 of
/// them, else 17 significant digits (rounded half to even, which always
/// read back) with an exponent, as `1.7976931348623157e308` (serde_json
/// reads no longer run of digits). Not always the shortest: the page
/// writes no such number.
fn push_large(out: &mut Vec<u8>, abs: f64) {
    let mut digits = Vec::new();
    push_scaled(&mut digits, scaled(abs, 0), 0);
    if digits.len() <= 17 {
        out.extend_from_slice(&digits);
        return;
    }
    let mut exponent = digits.len() as u32 - 1;
    let (head, tail) = digits.split_at(17);
    let up = match tail[0] {
        b'6'..=b'9' => true,
        b'5' => tail[1..].iter().any(|&b| b != b'0') || (head[16] - b'0') % 2 == 1,
        _ => false,
    };
    let mut mantissa = head.to_vec();
    if up {
        // Add one at the last digit, carrying; all nines become 1 and a
        // higher exponent.
        let carried = mantissa.iter_mut().rev().all(|b| {
            if *b == b'9' {
                *b = b'0';
                true
            } else {
                *b += 1;
                false
            }
        });
        if carried {
            mantissa.insert(0, b'1');
            mantissa.pop();
            exponent += 1;
        }
    }
    let kept = mantissa.iter().rposition(|&b| b != b'0').map_or(1, |i| i + 1);
    mantissa.truncate(kept);
    out.push(mantissa[0]);
    if mantissa.len() > 1 {
        out.push(b'.');
        out.extend_from_slice(&mantissa[1..]);
    }
    out.push(b'e');
    push_u32(out, exponent, 0);
}

fn push_ascii(out: &mut String, bytes: &[u8]) {
    // Only digits, `.` and `-` were written.
    out.extend(bytes.iter().map(|&b| char::from(b)));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small deterministic generator (xorshift), so the test needs no crate.
    fn xorshift(state: &mut u64) -> u64 {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        *state
    }

    /// Values that exercise every path: zeros, ties at each decimal,
    /// negatives, values that round to zero, subnormals, the extremes,
    /// the page's own ranges (seconds, coordinates, ratios).
    fn samples() -> Vec<f64> {
        let mut xs = vec![
            0.0,
            -0.0,
            0.5,
            1.5,
            2.5,
            -0.5,
            -2.5,
            0.25,
            0.125,
            0.375,
            1.05,
            1.25,
            2.675,
            0.045,
            0.001,
            -0.01,
            -0.049,
            9.95,
            99.95,
            999.5,
            0.1 + 0.2,
            1e-7,
            1e-300,
            5e-324,
            f64::MIN_POSITIVE,
            1e15,
            1e16,
            1e21,
            1e300,
            f64::MAX,
            f64::MIN,
            f64::EPSILON,
            4_503_599_627_370_495.5,
            9_007_199_254_740_993.0,
            123_456.789,
            -987_654.321,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ];
        for k in 0..=2_000u32 {
            xs.push(f64::from(k) / 1000.0);
            xs.push(f64::from(k) / 100.0);
            xs.push(f64::from(k) / 8.0);
            xs.push(-f64::from(k) / 16.0);
            xs.push(f64::from(k) * 0.0304 + 26.0);
        }
        let mut state = 0x2545_f491_4f6c_dd1d;
        for _ in 0..20_000 {
            // Any bit pattern: every exponent, subnormals, NaN payloads.
            xs.push(f64::from_bits(xorshift(&mut state)));
            // And ordinary magnitudes, where the page's values are.
            let r = xorshift(&mut state);
            let unit = (r >> 11) as f64 / (1u64 << 53) as f64;
            let scale = [1.0, 10.0, 1_000.0, 1e6, 1e-3][(r % 5) as usize];
            xs.push((unit - 0.25) * scale);
        }
        xs
    }

    #[test]
    fn fixed_is_format_exactly() {
        for x in samples() {
            for n in [0, 1, 2, 3, 5, 9, 17, 20] {
                assert_eq!(fixed(x, n), format!("{x:.n$}"), "{x:e} at {n} decimals ({:#x})", x.to_bits());
            }
        }
        // Many decimals, on the exact values of tiny floats.
        for x in [5e-324, 1e-300, 0.1, -2.2e-308] {
            assert_eq!(fixed(x, MAX_DECIMALS), format!("{x:.340}"));
        }
    }

    #[test]
    fn coordinates_drop_trailing_zeros() {
        assert_eq!(coord(640.0), "640");
        assert_eq!(coord(56.0 + 528.0 / 5.0), "161.6");
        assert_eq!(coord(63.513_600_000_000_004), "63.51");
        assert_eq!(coord(0.004), "0");
        assert_eq!(coord(-3.5), "-3.5");
        assert_eq!(coord(1.005), "1");
        assert_eq!(coord(1.006), "1.01");
        // Where `Display` wrote the exact value in two decimals or fewer,
        // the text is the same as before.
        for k in -20_000..20_000 {
            let x = f64::from(k) / 100.0;
            assert_eq!(coord(x), x.to_string(), "{x}");
        }
    }

    #[test]
    fn json_numbers_read_back_the_same() {
        for x in samples().into_iter().filter(|x| x.is_finite()) {
            let mut text = String::new();
            push_json(&mut text, x);
            let back: f64 = text.parse().unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(back.to_bits(), x.to_bits(), "{x:e} written as {text}");
            // The server's reader takes it too.
            let json: f64 = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert!(json == x || (json - x).abs() <= x.abs() * 1e-15, "{text}");
        }
        let mut text = String::new();
        push_json(&mut text, f64::NAN);
        assert_eq!(text, "null");
    }

    #[test]
    fn json_numbers_are_serde_json_s_where_it_writes_no_exponent() {
        // The page sends probabilities (k/100) and speeds, and saves runs
        // whose floats are those and time scales: the same text as the
        // server's serde_json, and the shortest where it uses none.
        let mut compared = 0;
        for x in samples().into_iter().filter(|x| x.is_finite()) {
            let serde = serde_json::to_string(&x).unwrap_or_default();
            if serde.contains('e') {
                continue;
            }
            let mut text = String::new();
            push_json(&mut text, x);
            assert_eq!(text, serde, "{x:e}");
            compared += 1;
        }
        assert!(compared > 10_000, "{compared}");
    }
}
