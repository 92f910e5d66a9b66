/**
 * The Python runtime the exported graders share: plain stdlib re-statements of
 * the playground's template graders (src/graders/templates/), written so that a
 * Python score equals the JS score within 1e-9. Where Python and JavaScript
 * differ by default, the JS behaviour is spelled out: JS whitespace for trim and
 * \s, JS number-to-text, IEEE results instead of Python's exceptions in formulas.
 * tests/export/python-parity.test.ts runs it against the JS graders.
 */
export const PYTHON_LIB = String.raw`import json
import math
import unicodedata
from decimal import Decimal


class GradeError(Exception):
    """The sample cannot be graded (bad data, not a bad answer); the playground counts it in grader_errors and scores 0."""


# JavaScript's WhiteSpace and LineTerminator characters (String.prototype.trim, /\s/u).
JS_SPACE = frozenset("\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff")


def js_trim(s):
    start, end = 0, len(s)
    while start < end and s[start] in JS_SPACE:
        start += 1
    while end > start and s[end - 1] in JS_SPACE:
        end -= 1
    return s[start:end]


def js_number(x):
    """Number.prototype.toString: shortest round-trip digits, JS's choice of plain or exponent form."""
    if x != x:
        return "NaN"
    if x in (math.inf, -math.inf):
        return "Infinity" if x > 0 else "-Infinity"
    if x == 0:
        return "0"
    sign = "-" if x < 0 else ""
    # repr gives the shortest round-trip digits (as JS does); Decimal splits them from the exponent.
    _, raw, exponent = Decimal(repr(abs(float(x)))).as_tuple()
    raw = "".join(map(str, raw))
    digits = raw.rstrip("0")
    k = len(digits)
    n = k + exponent + (len(raw) - k)
    if k <= n <= 21:
        return sign + digits + "0" * (n - k)
    if 0 < n <= 21:
        return sign + digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return sign + "0." + "0" * (-n) + digits
    e = n - 1
    return sign + digits[0] + ("." + digits[1:] if k > 1 else "") + "e" + ("+" if e >= 0 else "-") + str(abs(e))


def js_json(v):
    """JSON.stringify for values read from JSON (no spaces, JS number text)."""
    if isinstance(v, dict):
        return "{" + ",".join(json.dumps(k, ensure_ascii=False) + ":" + js_json(x) for k, x in v.items()) + "}"
    if isinstance(v, list):
        return "[" + ",".join(js_json(x) for x in v) + "]"
    return text(v) if not isinstance(v, str) else json.dumps(v, ensure_ascii=False)


def text(v):
    """How a template renders a field: missing or null as "", objects as JSON, numbers as JS prints them."""
    if v is None:
        return ""
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return js_number(v)
    if isinstance(v, (dict, list)):
        return js_json(v) if isinstance(v, dict) else js_json(v)
    return str(v)


def output_text(sample):
    v = sample.get("output_text")
    return "" if v is None else v if isinstance(v, str) else text(v)


# ---- text_similarity (src/graders/templates/metrics.ts)

def fuzzy_match(a, b):
    """1 - Levenshtein distance / longer length, over code points; two empty strings score 1."""
    longer = max(len(a), len(b))
    if longer == 0:
        return 1.0
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
        prev = cur
    return 1 - prev[len(b)] / longer


def _letter_or_digit(ch):
    return unicodedata.category(ch)[0] in "LN"


def _runs(s):
    out, cur = [], []
    for ch in s:
        if _letter_or_digit(ch):
            cur.append(ch)
        elif cur:
            out.append("".join(cur))
            cur = []
    if cur:
        out.append("".join(cur))
    return out


def rouge_tokens(s, mode):
    s = s.lower()
    if mode == "chars":
        return [c for c in s if c not in JS_SPACE]
    return _runs(s)


def bleu_tokens(s, mode):
    if mode == "chars":
        return [c for c in s if c not in JS_SPACE]
    out, cur = [], []
    for ch in s:
        if _letter_or_digit(ch):
            cur.append(ch)
            continue
        if cur:
            out.append("".join(cur))
            cur = []
        if ch not in JS_SPACE:
            out.append(ch)
    if cur:
        out.append("".join(cur))
    return out


def _ngrams(tokens, n):
    counts = {}
    for i in range(len(tokens) - n + 1):
        key = tuple(tokens[i:i + n])
        counts[key] = counts.get(key, 0) + 1
    return counts


def _overlap(candidate, reference):
    return sum(min(c, reference.get(k, 0)) for k, c in candidate.items())


def _f1(overlap, c_count, r_count):
    p = overlap / max(c_count, 1)
    r = overlap / max(r_count, 1)
    return 2 * p * r / (p + r) if p + r > 0 else 0.0


def rouge_n(candidate, reference, n, mode="words"):
    c = _ngrams(rouge_tokens(candidate, mode), n)
    r = _ngrams(rouge_tokens(reference, mode), n)
    return _f1(_overlap(c, r), sum(c.values()), sum(r.values()))


def rouge_l(candidate, reference, mode="words"):
    a = rouge_tokens(candidate, mode)
    b = rouge_tokens(reference, mode)
    prev = [0] * (len(b) + 1)
    for i in range(1, len(a) + 1):
        cur = [0] * (len(b) + 1)
        for j in range(1, len(b) + 1):
            cur[j] = prev[j - 1] + 1 if a[i - 1] == b[j - 1] else max(prev[j], cur[j - 1])
        prev = cur
    return _f1(prev[len(b)], len(a), len(b))


def bleu(candidate, reference, mode="words", max_order=4):
    """Sentence BLEU-4 as sacrebleu (score / 100): exp smoothing, effective order, brevity penalty."""
    c = bleu_tokens(candidate, mode)
    r = bleu_tokens(reference, mode)
    if not c:
        return 0.0
    log_sum, order, smooth = 0.0, 0, 1
    for n in range(1, max_order + 1):
        total = len(c) - n + 1
        if total <= 0:
            break
        order = n
        correct = _overlap(_ngrams(c, n), _ngrams(r, n))
        if correct == 0:
            smooth *= 2
            precision = 1 / (smooth * total)
        else:
            precision = correct / total
        log_sum += math.log(precision)
    brevity = 1.0 if len(c) >= len(r) else math.exp(1 - len(r) / len(c))
    return brevity * math.exp(log_sum / order)


# ---- numeric (src/graders/templates/numeric.ts)

def _is_decimal_number(t):
    # ^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$ with ASCII digits, as the JS pattern (no u flag) reads \d.
    i, n = 0, len(t)
    digits = lambda j: j < n and "0" <= t[j] <= "9"
    if i < n and t[i] in "+-":
        i += 1
    if digits(i):
        while digits(i):
            i += 1
        if i < n and t[i] == ".":
            i += 1
            while digits(i):
                i += 1
    elif i < n and t[i] == "." and digits(i + 1):
        i += 1
        while digits(i):
            i += 1
    else:
        return False
    if i < n and t[i] in "eE":
        i += 1
        if i < n and t[i] in "+-":
            i += 1
        if not digits(i):
            return False
        while digits(i):
            i += 1
    return i == n


def parse_number(s):
    t = js_trim(s)
    return float(t) if _is_decimal_number(t) else None


def numeric_credit(distance, tolerance, partial):
    if distance <= tolerance:
        return 1.0
    if partial <= 0:
        return 0.0
    v = 1 - (distance - tolerance) / partial
    return v if v > 0 else 0.0


# ---- formulas (multi's calculate_output): JavaScript's IEEE results where Python would raise

def f_div(a, b):
    if b == 0:
        if a == 0 or a != a:
            return math.nan
        return math.copysign(math.inf, a) * math.copysign(1.0, b)
    return a / b


def f_pow(a, b):
    if b != b or (b in (math.inf, -math.inf) and abs(a) == 1):
        return math.nan  # JavaScript: 1 ** NaN and 1 ** Infinity are NaN (Python says 1.0)
    try:
        return math.pow(a, b)
    except OverflowError:
        return -math.inf if a < 0 and b == int(b) and int(b) % 2 else math.inf
    except ValueError:
        if a == 0 and b < 0:
            return -math.inf if math.copysign(1.0, a) < 0 and b == int(b) and int(b) % 2 else math.inf
        return math.nan


def f_exp(x):
    try:
        return math.exp(x)
    except OverflowError:
        return math.inf


def f_log(x):
    if x != x or x < 0:
        return math.nan
    return -math.inf if x == 0 else math.log(x)


def f_sqrt(x):
    return math.nan if x != x or x < 0 else math.sqrt(x)


def f_floor(x):
    if x != x or x in (math.inf, -math.inf):
        return x
    v = float(math.floor(x))
    return math.copysign(0.0, x) if v == 0 else v  # floor(-0) is -0


def f_ceil(x):
    if x != x or x in (math.inf, -math.inf):
        return x
    v = float(math.ceil(x))
    return math.copysign(0.0, x) if v == 0 else v  # ceil(-0.5) is -0, so 1 / ceil(-0.5) is -Infinity


def f_min(*xs):
    if any(x != x for x in xs):
        return math.nan
    v = min(xs)
    return -0.0 if v == 0 and any(x == 0 and math.copysign(1.0, x) < 0 for x in xs) else v  # -0 is below 0


def f_max(*xs):
    if any(x != x for x in xs):
        return math.nan
    v = max(xs)
    return 0.0 if v == 0 and any(x == 0 and math.copysign(1.0, x) > 0 for x in xs) else v


def f_abs(x):
    return abs(x)


def finite_score(v, what):
    if not (isinstance(v, (int, float)) and math.isfinite(v)):
        raise GradeError(what + " gave " + js_number(float(v)))
    return float(v)
`;
