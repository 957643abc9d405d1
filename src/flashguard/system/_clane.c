/* The C twin of the trading system's market-data path (TradingSystem.on_market_data).
 *
 *   MarketDataLane(...)(event)  one event from a venue's feed or the SIP, as on_market_data
 *                               takes it. A Quote: journaled when the system emits market
 *                               data, then the risk gate's market view, the router's
 *                               consolidated book, the stress monitor's mid, the regime's
 *                               checks, the strategies' hooks, the snapshot timer. A Trade:
 *                               a repeat of a print already seen dropped, then the same for
 *                               the gate's last price and the stress monitor's open bar.
 *                               Anything else: system._market_data, in Python.
 *   FeedCounter()               a sink for system.emit_feed that only counts the quotes
 *                               and trades (a sweep's partial journal): the lane counts
 *                               without calling it.
 *
 * Most quotes change only a handful of fields: a venue's own quote under a consolidated feed
 * is one tuple in the gate's venue quotes and one line of the router's book; a SIP quote
 * moves the reference price, rarely the mark; most trades land in the stress monitor's open
 * bar. That common case runs here. Everything else goes to `rest` (_quote_rest) or
 * `trade_rest` (_trade_rest), the Python reference after the journaling, decided before
 * anything was changed: a moved mark (equity, layers 2 and 3), a closing volatility or VPIN
 * sample, the own LULD estimate, a VaR sample due, the kill switch engaged, a venue that
 * becomes usable again, a router parent waiting for the market, a first sight of an
 * instrument (lookups that create), no consolidated feed (the best of the venues' quotes),
 * and any object not of exactly the bound class or any int beyond +-2**61. So the twin
 * decides nothing the reference would not: it applies the same changes, in the same order,
 * then calls the same hooks.
 *
 * The engine's part comes last in the reference, after every change above, so the twin makes
 * those changes and then calls the engine's own Python where the reference would: a stress
 * sample that closes (InstrumentStress.close_sample), an execution algorithm's volume
 * (StrategyEngine._on_volume, unless `_volume_quiet` says no allowance can move yet) and,
 * when the stress signal may have changed, a regime check is due or a drawdown is to be
 * looked at, the regime and the hooks (`_regime_and_hooks`). Otherwise the hooks are called
 * from here: the engine's quote or trade hooks of the instrument, where None stands for a
 * strategy that does not listen to that kind now (Strategy.listen).
 *
 * Slotted classes and msgspec Structs are read and written at the slot offsets `bind` learns
 * once (as _cgate.c does): the engine, the regime, the stress monitor and the risk state
 * among them. The system is a plain class, read through its instance dict. Dict reads that
 * repeat (the instrument's market, lines, parents, stress, hooks; the system's flags) are
 * remembered while the dict's version tag (PEP 509) is unchanged: see Memo.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>
#include <stdint.h>

#include "../core/_cloop_api.h"

#if PY_VERSION_HEX >= 0x030C0000
#define FG_OBJECT_EX Py_T_OBJECT_EX
#else
#define FG_OBJECT_EX T_OBJECT_EX
#endif

#include "_cslots.h"

#define LIKELY(x) __builtin_expect(!!(x), 1)
/* the small helpers below, inlined at every use (the hot path calls them millions of times) */
#define HOT static inline __attribute__((always_inline))
#define UNLIKELY(x) __builtin_expect(!!(x), 0)
/* prices and quantities in C only while a sum of two stays inside int64 */
#define SAFE ((int64_t)1 << 61)

enum {
    C_QUOTE, C_MARKET, C_VOL, C_LINE, C_PARENT, C_STRESS, C_HISTORY, C_KILL, C_TRADE, C_BARS,
    C_ENGINE, C_REGIME, C_MONITOR, C_STATE, C_COUNT
};

static const char *const CLASS_NAMES[C_COUNT] = {
    "Quote", "InstrumentMarket", "RealizedVol", "VenueLine", "Parent", "InstrumentStress",
    "MarkHistory", "KillSwitch", "Trade", "BarBuilder", "StrategyEngine", "Regime",
    "StressMonitor", "RiskState",
};


enum {
    Q_T, Q_VENUE, Q_INSTRUMENT, Q_BID, Q_BID_QTY, Q_ASK, Q_ASK_QTY,
    M_CONSOLIDATED, M_VENUE_QUOTES, M_BID, M_ASK, M_QUOTE_T, M_REF, M_VERSION, M_MARK,
    M_MARK_MID, M_VOL, M_LAST, M_LAST_T, M_LULD, M_EXPLICIT_BAND,
    R_END, R_CLOSE,
    L_BID, L_BID_QTY, L_ASK, L_ASK_QTY, L_USED_BID, L_USED_ASK, L_FRESH,
    P_STATE,
    S_SAMPLE_END, S_MID, S_VPIN, S_CALIBRATION, S_BARS,
    H_NEXT_T,
    K_ENGAGED,
    T_T, T_VENUE, T_INSTRUMENT, T_TRADE_ID, T_PRICE, T_QTY,
    B_BAR_NS, B_LAST_T, B_PRICE, B_SLOT, B_VOLUME,
    E_STRESS_SEEN, E_NEXT_CHECK,
    G_WATCHING, G_DD_MONEY, G_VERSION, G_DD_VERSION, G_DD,
    N_VERSION, N_PARAMS,
    X_MONEY_VERSION,
    F_COUNT
};

static const Field FIELDS[F_COUNT] = {
    {C_QUOTE, "t_ns"}, {C_QUOTE, "venue"}, {C_QUOTE, "instrument"}, {C_QUOTE, "bid"},
    {C_QUOTE, "bid_qty"}, {C_QUOTE, "ask"}, {C_QUOTE, "ask_qty"},
    {C_MARKET, "_consolidated"}, {C_MARKET, "_venue_quotes"}, {C_MARKET, "bid"},
    {C_MARKET, "ask"}, {C_MARKET, "quote_t"}, {C_MARKET, "ref"}, {C_MARKET, "version"},
    {C_MARKET, "mark"}, {C_MARKET, "mark_mid"}, {C_MARKET, "vol"}, {C_MARKET, "last"},
    {C_MARKET, "last_t"}, {C_MARKET, "_luld"}, {C_MARKET, "_explicit_band"},
    {C_VOL, "_end"}, {C_VOL, "_close"},
    {C_LINE, "bid"}, {C_LINE, "bid_qty"}, {C_LINE, "ask"}, {C_LINE, "ask_qty"},
    {C_LINE, "used_bid"}, {C_LINE, "used_ask"}, {C_LINE, "fresh"},
    {C_PARENT, "state"},
    {C_STRESS, "sample_end"}, {C_STRESS, "mid"}, {C_STRESS, "_vpin"},
    {C_STRESS, "_calibration"}, {C_STRESS, "_bars"},
    {C_HISTORY, "next_t"},
    {C_KILL, "engaged"},
    {C_TRADE, "t_ns"}, {C_TRADE, "venue"}, {C_TRADE, "instrument"}, {C_TRADE, "trade_id"},
    {C_TRADE, "price"}, {C_TRADE, "qty"},
    {C_BARS, "_bar_ns"}, {C_BARS, "_last_t"}, {C_BARS, "_price"}, {C_BARS, "_slot"},
    {C_BARS, "_volume"},
    {C_ENGINE, "_stress_seen"}, {C_ENGINE, "_next_check"},
    {C_REGIME, "watching"}, {C_REGIME, "_dd_money"}, {C_REGIME, "_version"},
    {C_REGIME, "_dd_version"}, {C_REGIME, "_dd"},
    {C_MONITOR, "version"}, {C_MONITOR, "params"},
    {C_STATE, "money_version"},
};

static PyTypeObject *TYPES[C_COUNT];
static Py_ssize_t OFF[F_COUNT];
static int BOUND;
static PyObject *WAITING;      /* the router's WAITING parent state */
static PyObject *CONSOLIDATED; /* "ALL" */
static PyObject *ZERO;
static const FgLoopApi *LOOP_API;

/* the system's instance-dict keys */
enum { K_EMIT_MARKET_DATA, K_SNAPSHOT_ARMED, K_FEED, K_COUNT };
static const char *const KEY_NAMES[K_COUNT] = {
    "emit_market_data", "_snapshot_armed", "emit_feed",
};
static PyObject *KEYS[K_COUNT];
static PyObject *S_ON_VOLUME, *S_REGIME_AND_HOOKS; /* the engine's methods */
static PyObject *S_CLOSE_SAMPLE, *S_VOL_SAMPLE_NS;  /* InstrumentStress's, RegimeParams' */

#define SLOT(obj, f) (*(PyObject **)((char *)(obj) + OFF[f]))

HOT int
as_i64(PyObject *x, int64_t *out)
{
    if (UNLIKELY(x == NULL || !PyLong_CheckExact(x)))
        return 0;
#if PY_VERSION_HEX < 0x030C0000
    /* up to two digits (60 bits: prices, sizes, times) read in place */
    const digit *d = ((PyLongObject *)x)->ob_digit;
    switch (Py_SIZE(x)) {
    case 0:
        *out = 0;
        return 1;
    case 1:
        *out = (int64_t)d[0];
        return 1;
    case -1:
        *out = -(int64_t)d[0];
        return 1;
    case 2:
        *out = ((int64_t)d[1] << PyLong_SHIFT) | (int64_t)d[0];
        return 1;
    case -2:
        *out = -(((int64_t)d[1] << PyLong_SHIFT) | (int64_t)d[0]);
        return 1;
    default:
        break;
    }
#endif
    int overflow;
    long long v = PyLong_AsLongLongAndOverflow(x, &overflow);
    if (UNLIKELY(overflow))
        return 0;
    if (UNLIKELY(v == -1 && PyErr_Occurred())) {
        PyErr_Clear();
        return 0;
    }
    *out = (int64_t)v;
    return 1;
}

/* a == b for an exact str a and an interned b: an interned a other than b is another
 * string (interning keeps one object per value), so only a non-interned a is compared. */
HOT int
same_str(PyObject *a, PyObject *b)
{
    return a == b
           || (!PyUnicode_CHECK_INTERNED(a) && PyUnicode_GET_LENGTH(a) == PyUnicode_GET_LENGTH(b)
               && PyUnicode_Compare(a, b) == 0);
}

/* An int slot as int64, inside +-SAFE; 0 when unset, not an int, or out of range. */
HOT int
rd(PyObject *obj, int f, int64_t *out)
{
    return as_i64(SLOT(obj, f), out) && *out < SAFE && *out > -SAFE;
}

/* Store a new reference in a slot, releasing the old one (last: the release may run code). */
HOT void
put(PyObject *obj, int f, PyObject *x)
{
    PyObject **slot = &SLOT(obj, f);
    PyObject *old = *slot;
    *slot = x;
    Py_XDECREF(old);
}

HOT void
put_ref(PyObject *obj, int f, PyObject *x)
{
    put(obj, f, Py_NewRef(x));
}

HOT int
wr(PyObject *obj, int f, int64_t v)
{
    int64_t old;
    if (as_i64(SLOT(obj, f), &old) && old == v)
        return 0; /* the same value already: an int is its value */
    PyObject *x = PyLong_FromLongLong(v);
    if (UNLIKELY(x == NULL))
        return -1;
    put(obj, f, x);
    return 0;
}

HOT int
is_type(PyObject *x, int cls)
{
    return x != NULL && Py_TYPE(x) == TYPES[cls];
}

/* Python's a // b for b > 0. */
static inline int64_t
floordiv(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && a < 0) ? q - 1 : q;
}

/* Dict reads remembered while the dict is unchanged. CPython gives every dict state a
 * version tag of its own (PEP 509: drawn from one process-wide counter by each change), so
 * the same key in the same dict at the same tag has the same value. A Memo holds its key (so
 * the address cannot name another object while remembered) and borrows the value from the
 * dict, which holds it as long as the tag is unchanged. Python 3.11 only (the tag is
 * deprecated from 3.12): elsewhere every read is a lookup. */
#if PY_VERSION_HEX < 0x030C0000
#define FG_MEMO 1
#define DICT_TAG(d) (((PyDictObject *)(d))->ma_version_tag)
#else
#define FG_MEMO 0
#endif

typedef struct {
    PyObject *dict;  /* compared, not held */
    PyObject *key;   /* held */
    PyObject *value; /* borrowed from dict */
    uint64_t tag;
} Memo;

/* PyDict_GetItemWithError(d, key), remembered in c. */
HOT PyObject *
memo_get(Memo *c, PyObject *d, PyObject *key)
{
#if FG_MEMO
    if (c->key == key && c->dict == d && c->tag == DICT_TAG(d))
        return c->value;
#endif
    PyObject *v = PyDict_GetItemWithError(d, key);
#if FG_MEMO
    if (v != NULL) {
        PyObject *old = c->key;
        c->dict = d;
        c->key = Py_NewRef(key);
        c->value = v;
        c->tag = DICT_TAG(d);
        Py_XDECREF(old); /* a str: its release runs no code */
    }
#endif
    return v;
}

static void
memo_clear(Memo *c)
{
    c->dict = c->value = NULL;
    c->tag = 0;
    Py_CLEAR(c->key);
}

/* d[key] = (x, y), as the reference sets it; a pair of equal ints already there is kept (the
 * same value: most quotes change only sizes, and this spares an allocation). */
static int
set_pair(PyObject *d, PyObject *key, PyObject *x, PyObject *y)
{
    PyObject *old = PyDict_GetItemWithError(d, key);
    if (old != NULL && PyTuple_CheckExact(old) && PyTuple_GET_SIZE(old) == 2) {
        PyObject *a = PyTuple_GET_ITEM(old, 0), *b = PyTuple_GET_ITEM(old, 1);
        int64_t va, vb, vx, vy;
        if ((a == x || (as_i64(a, &va) && as_i64(x, &vx) && va == vx))
            && (b == y || (as_i64(b, &vb) && as_i64(y, &vy) && vb == vy)))
            return 0;
    }
    else if (old == NULL && PyErr_Occurred())
        return -1;
    PyObject *pair = PyTuple_Pack(2, x, y);
    if (pair == NULL)
        return -1;
    int rc = PyDict_SetItem(d, key, pair);
    Py_DECREF(pair);
    return rc;
}

/* ---------------------------------------------------------------------------------------- */
/* MarketDataLane                                                                           */
/* ---------------------------------------------------------------------------------------- */

typedef struct {
    PyObject_HEAD
    vectorcallfunc vectorcall;
    PyObject *system;   /* vars(system) */
    PyObject *rest;     /* system._quote_rest */
    PyObject *trade_rest; /* system._trade_rest */
    PyObject *other;    /* system._market_data: any other event */
    PyObject *last_trade_id; /* system._last_trade_id */
    PyObject *algos;    /* engine._algos */
    PyObject *quiet;    /* engine._volume_quiet */
    PyObject *arm;      /* system._arm_snapshot */
    PyObject *markets;  /* gate.state.markets */
    PyObject *history;  /* gate.portfolio.history */
    PyObject *kill;     /* gate.kill_switch */
    PyObject *sip;      /* router.book._sip */
    PyObject *lines;    /* router.book._lines */
    PyObject *parents;  /* router._by_instrument */
    PyObject *now_ns;   /* loop.now_ns */
    PyObject *loop;     /* the C loop behind now_ns (borrowed from now_ns), or NULL */
    PyObject *stress;   /* engine.regime.monitor.instruments */
    PyObject *quote_hooks; /* engine._quote_hooks */
    PyObject *trade_hooks; /* engine._trade_hooks */
    PyObject *engine;   /* the StrategyEngine */
    PyObject *monitor;  /* engine.regime.monitor, a StressMonitor */
    PyObject *regime;   /* engine.regime, a Regime */
    PyObject *state;    /* gate.state, a RiskState */
    /* remembered reads (Memo): */
    Memo m_markets, m_stress, m_lines, m_parents, m_quote_hooks, m_trade_hooks, m_algos;
    Memo m_line[4];     /* a venue's line in the instrument's lines, by venue */
    uint64_t sys_tag;   /* vars(system)'s tag at which sys_val was read */
    PyObject *sys_val[K_COUNT]; /* borrowed; NULL: not read at sys_tag */
} Lane;

#define LANE_MEMOS(X)                                                                       \
    X(m_markets) X(m_stress) X(m_lines) X(m_parents) X(m_quote_hooks) X(m_trade_hooks)       \
    X(m_algos) X(m_line[0]) X(m_line[1]) X(m_line[2]) X(m_line[3])

/* vars(system)[KEYS[k]] (borrowed; NULL: missing or an error), remembered while the system's
 * dict is unchanged. */
static inline PyObject *
sys_get(Lane *L, int k)
{
#if FG_MEMO
    uint64_t tag = DICT_TAG(L->system);
    if (tag != L->sys_tag) {
        L->sys_tag = tag;
        for (int i = 0; i < K_COUNT; i++)
            L->sys_val[i] = NULL;
    }
    else if (L->sys_val[k] != NULL)
        return L->sys_val[k];
    PyObject *v = PyDict_GetItemWithError(L->system, KEYS[k]);
    L->sys_val[k] = v;
    return v;
#else
    return PyDict_GetItemWithError(L->system, KEYS[k]);
#endif
}

/* The memo of venue's line: one per venue, the first four venues seen (else a lookup). */
static inline PyObject *
line_get(Lane *L, PyObject *lines, PyObject *venue)
{
    for (int i = 0; i < 4; i++) {
        Memo *c = &L->m_line[i];
        if (c->key == venue || c->key == NULL)
            return memo_get(c, lines, venue);
    }
    return PyDict_GetItemWithError(lines, venue);
}

static int
lane_now(Lane *L, int64_t *out)
{
    if (L->loop != NULL)
        return LOOP_API->now(L->loop, out) < 0 ? -1 : 1;
    PyObject *t = PyObject_CallNoArgs(L->now_ns);
    if (t == NULL)
        return -1;
    int ok = as_i64(t, out);
    Py_DECREF(t);
    return ok;
}

static PyObject *engine_ready(Lane *L, PyObject *hooks, Memo *memo, PyObject *instrument,
                              int64_t now);
static int close_sample(Lane *L, PyObject *s, int64_t now);
static int regime_and_hooks(Lane *L, PyObject *ev, PyObject *by_instrument,
                            PyObject *instrument, int64_t now);
static int finish(Lane *L, PyObject *ev, PyObject *hooks);
static int snapshot_timer(Lane *L);

/* The common case, or 0 (nothing changed) for `rest`; -1 with an exception set. */
static int
lane_quote(Lane *L, PyObject *ev)
{
    int64_t t, bid, bid_qty, ask, ask_qty;
    if (!rd(ev, Q_T, &t) || !rd(ev, Q_BID, &bid) || !rd(ev, Q_BID_QTY, &bid_qty)
        || !rd(ev, Q_ASK, &ask) || !rd(ev, Q_ASK_QTY, &ask_qty))
        return 0;
    PyObject *venue = SLOT(ev, Q_VENUE), *instrument = SLOT(ev, Q_INSTRUMENT);
    if (venue == NULL || !PyUnicode_CheckExact(venue) || instrument == NULL
        || !PyUnicode_CheckExact(instrument))
        return 0;
    int is_all = same_str(venue, CONSOLIDATED);

    /* --- the gate: RiskGate.on_quote, InstrumentMarket.on_quote --- */
    PyObject *m = memo_get(&L->m_markets, L->markets, instrument);
    if (!is_type(m, C_MARKET))
        return 0;
    int consolidated = SLOT(m, M_CONSOLIDATED) == Py_True;
    if (!consolidated && SLOT(m, M_CONSOLIDATED) != Py_False)
        return 0;
    if (!is_all && !consolidated)
        return 0; /* the best over the venues' own quotes */
    int64_t b = bid > 0 && bid_qty > 0 ? bid : 0;
    int64_t a = ask > 0 && ask_qty > 0 ? ask : 0;
    int64_t mark, old_ref = 0, ref = 0;
    if (!rd(m, M_MARK, &mark))
        return 0;
    int mark_mid = SLOT(m, M_MARK_MID) == Py_True;
    if (!mark_mid && SLOT(m, M_MARK_MID) != Py_False)
        return 0;
    int64_t version = 0;
    if (is_all) {
        ref = b && a ? (b + a) / 2 : (b ? b : a);
        if (!rd(m, M_REF, &old_ref) || !rd(m, M_VERSION, &version))
            return 0;
        if (mark_mid && b && a && ref != mark)
            return 0; /* the mark moves: equity, layers 2 and 3 */
    }
    PyObject *vol = SLOT(m, M_VOL);
    if (mark) {
        int64_t end;
        if (!is_type(vol, C_VOL) || !rd(vol, R_END, &end))
            return 0;
        if (t >= end)
            return 0; /* a volatility bucket closes */
    }
    PyObject *hist = L->history, *next = SLOT(hist, H_NEXT_T);
    int64_t next_t;
    if (next == NULL || next == Py_None || !as_i64(next, &next_t) || t >= next_t)
        return 0; /* a VaR sample is due */
    if (SLOT(L->kill, K_ENGAGED) != Py_False)
        return 0;

    /* --- the router: SmartOrderRouter.on_quote, ConsolidatedBook.on_quote --- */
    PyObject *line = NULL;
    if (!is_all) {
        PyObject *lines = memo_get(&L->m_lines, L->lines, instrument);
        if (lines == NULL || !PyDict_CheckExact(lines))
            return 0;
        line = line_get(L, lines, venue);
        if (line != NULL) {
            if (!is_type(line, C_LINE) || SLOT(line, L_FRESH) != Py_True)
                return 0; /* a venue that may become usable again */
        }
        else if (PyErr_Occurred())
            return -1;
        PyObject *parents = memo_get(&L->m_parents, L->parents, instrument);
        if (parents != NULL) {
            if (!PyDict_CheckExact(parents))
                return 0;
            Py_ssize_t pos = 0;
            PyObject *key, *p;
            while (PyDict_Next(parents, &pos, &key, &p)) {
                if (!is_type(p, C_PARENT))
                    return 0;
                PyObject *st = SLOT(p, P_STATE);
                if (st == NULL || !PyUnicode_CheckExact(st))
                    return 0;
                if (same_str(st, WAITING))
                    return 0; /* a parent waiting for the market steps */
            }
        }
    }

    /* --- the engine: StrategyEngine.on_quote --- */
    int64_t now;
    int rc = lane_now(L, &now);
    if (rc <= 0)
        return rc;
    int64_t nb, na;
    if (is_all) {
        nb = bid_qty > 0 ? bid : 0;
        na = ask_qty > 0 ? ask : 0;
    }
    else {
        PyObject *nbbo = PyDict_GetItemWithError(L->sip, instrument);
        if (nbbo == NULL || !PyTuple_CheckExact(nbbo) || PyTuple_GET_SIZE(nbbo) != 2
            || !as_i64(PyTuple_GET_ITEM(nbbo, 0), &nb) || !as_i64(PyTuple_GET_ITEM(nbbo, 1), &na)
            || nb >= SAFE || nb <= -SAFE || na >= SAFE || na <= -SAFE)
            return 0; /* no consolidated feed: the best over the usable venues */
    }
    int64_t mid = 0;
    PyObject *s = NULL;
    int closes = 0;
    if (nb && na) {
        mid = floordiv(nb + na, 2);
        if (mid > 0) {
            int64_t sample_end;
            s = memo_get(&L->m_stress, L->stress, instrument);
            if (!is_type(s, C_STRESS) || !rd(s, S_SAMPLE_END, &sample_end))
                return PyErr_Occurred() ? -1 : 0; /* a first sight: the monitor makes it */
            closes = now >= sample_end; /* a stress sample closes: Python, below */
        }
    }

    /* --- every check passed: the changes the reference makes, in its order --- */
    PyObject *x, *y;
    if (is_all) {
        put_ref(m, M_CONSOLIDATED, Py_True);
        put_ref(m, M_BID, b ? SLOT(ev, Q_BID) : ZERO);
        put_ref(m, M_ASK, a ? SLOT(ev, Q_ASK) : ZERO);
        put_ref(m, M_QUOTE_T, SLOT(ev, Q_T));
        if (ref != old_ref) {
            if (wr(m, M_REF, ref) < 0 || wr(m, M_VERSION, version + 1) < 0)
                return -1;
        }
        if (mark_mid && b && a) {
            if (wr(m, M_MARK, ref) < 0)
                return -1;
        }
    }
    else {
        PyObject *vq = SLOT(m, M_VENUE_QUOTES);
        if (vq == NULL || !PyDict_CheckExact(vq)) {
            PyErr_SetString(PyExc_TypeError, "InstrumentMarket._venue_quotes is not a dict");
            return -1;
        }
        if (set_pair(vq, venue, b ? SLOT(ev, Q_BID) : ZERO, a ? SLOT(ev, Q_ASK) : ZERO) < 0)
            return -1;
    }
    if (mark)
        put_ref(vol, R_CLOSE, SLOT(m, M_MARK));
    if (is_all) {
        x = bid_qty > 0 ? SLOT(ev, Q_BID) : ZERO;
        y = ask_qty > 0 ? SLOT(ev, Q_ASK) : ZERO;
        if (set_pair(L->sip, instrument, x, y) < 0)
            return -1;
    }
    else if (line != NULL) {
        if (bid > 0 && bid_qty > 0) {
            put_ref(line, L_BID, SLOT(ev, Q_BID));
            put_ref(line, L_BID_QTY, SLOT(ev, Q_BID_QTY));
        }
        else {
            put_ref(line, L_BID, ZERO);
            put_ref(line, L_BID_QTY, ZERO);
        }
        if (ask > 0 && ask_qty > 0) {
            put_ref(line, L_ASK, SLOT(ev, Q_ASK));
            put_ref(line, L_ASK_QTY, SLOT(ev, Q_ASK_QTY));
        }
        else {
            put_ref(line, L_ASK, ZERO);
            put_ref(line, L_ASK_QTY, ZERO);
        }
        put_ref(line, L_USED_BID, ZERO);
        put_ref(line, L_USED_ASK, ZERO);
    }
    /* the engine: the stress monitor's mid (a closing sample in Python, as the reference
     * closes it), then the regime and the hooks */
    if (s != NULL) {
        Py_INCREF(s);
        if (closes && close_sample(L, s, now) < 0) {
            Py_DECREF(s);
            return -1;
        }
        int bad = wr(s, S_MID, mid);
        Py_DECREF(s);
        if (bad < 0)
            return -1;
    }
    return regime_and_hooks(L, ev, L->quote_hooks, instrument, now);
}

/* InstrumentStress.close_sample(now, monitor.params.vol_sample_ns), as
 * StrategyEngine.on_quote calls it. */
static int
close_sample(Lane *L, PyObject *s, int64_t now)
{
    PyObject *params = SLOT(L->monitor, N_PARAMS);
    if (params == NULL) {
        PyErr_SetString(PyExc_AttributeError, "StressMonitor has no params");
        return -1;
    }
    Py_INCREF(params);
    PyObject *sample_ns = PyObject_GetAttr(params, S_VOL_SAMPLE_NS);
    Py_DECREF(params);
    if (sample_ns == NULL)
        return -1;
    PyObject *t_now = PyLong_FromLongLong(now);
    if (t_now == NULL) {
        Py_DECREF(sample_ns);
        return -1;
    }
    PyObject *r = PyObject_CallMethodObjArgs(s, S_CLOSE_SAMPLE, t_now, sample_ns, NULL);
    Py_DECREF(t_now);
    Py_DECREF(sample_ns);
    if (r == NULL)
        return -1;
    Py_DECREF(r);
    return 0;
}

/* The end of StrategyEngine.on_quote and on_trade (`_regime_and_hooks`), then the system's
 * snapshot timer: with nothing due for the regime, the hooks from C; else the engine's
 * Python. 1, or -1 with an exception. */
static int
regime_and_hooks(Lane *L, PyObject *ev, PyObject *by_instrument, PyObject *instrument,
                 int64_t now)
{
    PyObject *hooks = engine_ready(L, by_instrument,
                                   by_instrument == L->quote_hooks ? &L->m_quote_hooks
                                                                   : &L->m_trade_hooks,
                                   instrument, now);
    if (hooks != NULL)
        return finish(L, ev, hooks);
    if (PyErr_Occurred())
        return -1;
    PyObject *t_now = PyLong_FromLongLong(now);
    if (t_now == NULL)
        return -1;
    PyObject *r = PyObject_CallMethodObjArgs(L->engine, S_REGIME_AND_HOOKS, ev, instrument,
                                             t_now, NULL);
    Py_DECREF(t_now);
    if (r == NULL)
        return -1;
    Py_DECREF(r);
    return snapshot_timer(L);
}

/* TradingSystem._trade_rest's common case, or 0 (nothing changed); -1 with an exception. */
static int
lane_trade(Lane *L, PyObject *ev)
{
    int64_t t, price, qty;
    if (!rd(ev, T_T, &t) || !rd(ev, T_PRICE, &price) || !rd(ev, T_QTY, &qty))
        return 0;
    PyObject *instrument = SLOT(ev, T_INSTRUMENT);
    if (instrument == NULL || !PyUnicode_CheckExact(instrument))
        return 0;

    /* --- the gate: RiskGate.on_trade, InstrumentMarket.on_trade --- */
    PyObject *m = memo_get(&L->m_markets, L->markets, instrument);
    if (!is_type(m, C_MARKET))
        return 0;
    int64_t last, version, mark;
    if (!rd(m, M_LAST, &last) || !rd(m, M_VERSION, &version) || !rd(m, M_MARK, &mark))
        return 0;
    int mark_mid = SLOT(m, M_MARK_MID) == Py_True;
    if (!mark_mid && SLOT(m, M_MARK_MID) != Py_False)
        return 0;
    PyObject *explicit_band = SLOT(m, M_EXPLICIT_BAND);
    if (explicit_band != Py_True && explicit_band != Py_False)
        return 0;
    if (SLOT(m, M_LULD) != Py_None && explicit_band != Py_True)
        return 0; /* the own LULD estimate moves */
    int sets_mark = !mark_mid || !mark;
    if (sets_mark && price != mark)
        return 0; /* the mark moves: equity, layers 2 and 3 */
    PyObject *vol = SLOT(m, M_VOL);
    if (mark) {
        int64_t end;
        if (!is_type(vol, C_VOL) || !rd(vol, R_END, &end))
            return 0;
        if (t >= end)
            return 0; /* a volatility bucket closes */
    }
    PyObject *next = SLOT(L->history, H_NEXT_T);
    int64_t next_t;
    if (next == NULL || next == Py_None || !as_i64(next, &next_t) || t >= next_t)
        return 0; /* a VaR sample is due */
    if (SLOT(L->kill, K_ENGAGED) != Py_False)
        return 0;

    /* --- the engine: StrategyEngine.on_trade --- */
    int64_t now;
    int rc = lane_now(L, &now);
    if (rc <= 0)
        return rc;
    PyObject *s = memo_get(&L->m_stress, L->stress, instrument);
    if (!is_type(s, C_STRESS))
        return 0;
    PyObject *bars = NULL;
    if ((SLOT(s, S_VPIN) != Py_None || SLOT(s, S_CALIBRATION) != Py_None) && price > 0) {
        /* InstrumentStress.on_trade, BarBuilder.on_trade: a trade inside the open bar */
        int64_t bar_ns, last_t, slot;
        bars = SLOT(s, S_BARS);
        if (!is_type(bars, C_BARS) || qty < 0 || !rd(bars, B_BAR_NS, &bar_ns) || bar_ns <= 0
            || !rd(bars, B_LAST_T, &last_t) || now < last_t || !rd(bars, B_SLOT, &slot)
            || floordiv(now, bar_ns) != slot)
            return 0; /* a first trade, a bar that closes, or a refusal */
        int64_t volume;
        if (!rd(bars, B_VOLUME, &volume))
            return 0;
    }
    PyObject *algos = memo_get(&L->m_algos, L->algos, instrument);
    if (algos == NULL && PyErr_Occurred())
        return -1;
    int counts_volume = algos != NULL && (!PyDict_CheckExact(algos) || PyDict_GET_SIZE(algos));
    if (counts_volume) {
        /* StrategyEngine._on_volume's first check: nothing any algorithm could change yet */
        PyObject *q = PyDict_GetItemWithError(L->quiet, instrument);
        int64_t until;
        if (q == NULL && PyErr_Occurred())
            return -1;
        if (q != NULL && as_i64(q, &until) && now < until)
            counts_volume = 0;
    }

    /* --- every check passed: the changes the reference makes, in its order --- */
    PyObject *ev_price = SLOT(ev, T_PRICE);
    if (price != last) {
        put_ref(m, M_LAST, ev_price);
        if (wr(m, M_VERSION, version + 1) < 0)
            return -1;
    }
    put_ref(m, M_LAST_T, SLOT(ev, T_T));
    if (sets_mark)
        put_ref(m, M_MARK, ev_price);
    if (mark)
        put_ref(vol, R_CLOSE, SLOT(m, M_MARK));
    if (bars != NULL) {
        int64_t volume = 0;
        rd(bars, B_VOLUME, &volume); /* read above */
        if (wr(bars, B_LAST_T, now) < 0 || wr(bars, B_VOLUME, volume + qty) < 0)
            return -1;
        put_ref(bars, B_PRICE, ev_price);
    }
    /* from here on Python runs (an execution algorithm's volume, maybe the regime), so what
     * follows is decided as the reference decides it, after what came before */
    if (counts_volume) {
        PyObject *t_now = PyLong_FromLongLong(now);
        if (t_now == NULL)
            return -1;
        PyObject *r = PyObject_CallMethodObjArgs(L->engine, S_ON_VOLUME, instrument,
                                                 SLOT(ev, T_QTY), t_now, NULL);
        Py_DECREF(t_now);
        if (r == NULL)
            return -1;
        Py_DECREF(r);
    }
    return regime_and_hooks(L, ev, L->trade_hooks, instrument, now);
}

/* The regime's checks, with nothing due (the instrument's hooks from `by_instrument`, the
 * engine's quote or trade hooks; borrowed), or NULL: the reference decides (an exception may
 * be set). */
static PyObject *
engine_ready(Lane *L, PyObject *by_instrument, Memo *memo, PyObject *instrument, int64_t now)
{
    int64_t seen, mon_version, next_check;
    if (!rd(L->engine, E_STRESS_SEEN, &seen) || !rd(L->monitor, N_VERSION, &mon_version)
        || seen != mon_version)
        return NULL; /* the stress signal may have changed */
    if (!rd(L->engine, E_NEXT_CHECK, &next_check) || now >= next_check)
        return NULL;
    PyObject *watching = SLOT(L->regime, G_WATCHING);
    if (watching == Py_True) {
        int64_t money, dd_money, rv, dd_version;
        if (!rd(L->state, X_MONEY_VERSION, &money) || !rd(L->regime, G_DD_MONEY, &dd_money)
            || money != dd_money || !rd(L->regime, G_VERSION, &rv)
            || !rd(L->regime, G_DD_VERSION, &dd_version) || rv != dd_version
            || SLOT(L->regime, G_DD) != Py_False)
            return NULL; /* a drawdown to look at */
    }
    else if (watching != Py_False)
        return NULL;
    PyObject *hooks = memo_get(memo, by_instrument, instrument);
    if (hooks == NULL || !PyList_CheckExact(hooks))
        return NULL;
    return hooks;
}

/* The strategies' hooks (Python: anything may happen from here on), then the snapshot
 * timer, as the reference ends. None in a hook's place: that strategy does not listen now
 * (Strategy.listen); each place is read when the loop reaches it, as the reference does. */
static int
finish(Lane *L, PyObject *ev, PyObject *hooks)
{
    Py_INCREF(hooks);
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(hooks); i++) {
        if (PyList_GET_ITEM(hooks, i) == Py_None)
            continue;
        PyObject *hook = Py_NewRef(PyList_GET_ITEM(hooks, i));
        PyObject *r = PyObject_Vectorcall(hook, &ev, 1, NULL);
        Py_DECREF(hook);
        if (r == NULL) {
            Py_DECREF(hooks);
            return -1;
        }
        Py_DECREF(r);
    }
    Py_DECREF(hooks);
    return snapshot_timer(L);
}

/* TradingSystem's end of an event: the snapshot timer armed if it is not. */
static int
snapshot_timer(Lane *L)
{
    PyObject *x = sys_get(L, K_SNAPSHOT_ARMED);
    if (x != Py_True) {
        if (x == NULL && PyErr_Occurred())
            return -1;
        PyObject *r = PyObject_CallNoArgs(L->arm);
        if (r == NULL)
            return -1;
        Py_DECREF(r);
    }
    return 1;
}

/* ---------------------------------------------------------------------------------------- */
/* FeedCounter                                                                              */
/* ---------------------------------------------------------------------------------------- */

/* A sink for the quotes and trades a partial journal leaves out (run/recorder.py): it only
 * counts them. The lane adds to its count without a call. Reference: marketlane.PyFeedCounter. */
typedef struct {
    PyObject_HEAD
    vectorcallfunc vectorcall;
    long long count;
} FeedCounter;

static PyTypeObject FeedCounterType;

static PyObject *
counter_vectorcall(FeedCounter *self, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    if (PyVectorcall_NARGS(nargsf) != 1 || kwnames != NULL) {
        PyErr_SetString(PyExc_TypeError, "FeedCounter takes one event");
        return NULL;
    }
    self->count++;
    Py_RETURN_NONE;
}

static PyObject *
counter_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    if (!PyArg_ParseTuple(args, ":FeedCounter") || (kwds != NULL && PyDict_GET_SIZE(kwds))) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_TypeError, "FeedCounter() takes no arguments");
        return NULL;
    }
    FeedCounter *self = (FeedCounter *)type->tp_alloc(type, 0);
    if (self == NULL)
        return NULL;
    self->vectorcall = (vectorcallfunc)counter_vectorcall;
    self->count = 0;
    return (PyObject *)self;
}

static PyObject *
counter_take(FeedCounter *self, PyObject *Py_UNUSED(ignored))
{
    long long n = self->count;
    self->count = 0;
    return PyLong_FromLongLong(n);
}

static PyObject *
counter_get_count(FeedCounter *self, void *Py_UNUSED(closure))
{
    return PyLong_FromLongLong(self->count);
}

static PyMethodDef COUNTER_METHODS[] = {
    {"take", (PyCFunction)counter_take, METH_NOARGS,
     "take() -> int: the events counted since the last take (the count restarts at 0)."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef COUNTER_GETSET[] = {
    {"count", (getter)counter_get_count, NULL, "events counted since the last take()", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyTypeObject FeedCounterType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "flashguard.system._clane.FeedCounter",
    .tp_doc = "FeedCounter(): a sink that counts the events it is called with.",
    .tp_basicsize = sizeof(FeedCounter),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_new = counter_new,
    .tp_methods = COUNTER_METHODS,
    .tp_getset = COUNTER_GETSET,
    .tp_vectorcall_offset = offsetof(FeedCounter, vectorcall),
    .tp_call = PyVectorcall_Call,
};

/* Journal the quote or trade when the system emits market data (as the reference does
 * first): to system.emit_feed, or, when that is a FeedCounter, only counted. */
static int
emit_md(Lane *L, PyObject *ev)
{
    PyObject *flag = sys_get(L, K_EMIT_MARKET_DATA);
    if (flag == Py_False)
        return 0;
    if (flag == NULL) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_AttributeError, "TradingSystem has no emit_market_data");
        return -1;
    }
    int on = PyObject_IsTrue(flag);
    if (on <= 0)
        return on;
    PyObject *sink = sys_get(L, K_FEED);
    if (sink == NULL) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_AttributeError, "TradingSystem has no emit_feed");
        return -1;
    }
    if (Py_IS_TYPE(sink, &FeedCounterType)) {
        ((FeedCounter *)sink)->count++;
        return 0;
    }
    Py_INCREF(sink);
    PyObject *r = PyObject_Vectorcall(sink, &ev, 1, NULL);
    Py_DECREF(sink);
    if (r == NULL)
        return -1;
    Py_DECREF(r);
    return 0;
}

/* The SIP repeats each venue's prints: 1 when the trade was seen already (dropped), 0 when it
 * is new (and now counted), -1 with an exception, 2 when the reference must decide. */
static int
seen_trade(Lane *L, PyObject *ev)
{
    PyObject *id = SLOT(ev, T_TRADE_ID), *venue = SLOT(ev, T_VENUE);
    int64_t tid, last = 0;
    if (!as_i64(id, &tid) || venue == NULL || !PyUnicode_CheckExact(venue))
        return 2;
    if (!tid)
        return 0;
    PyObject *prev = PyDict_GetItemWithError(L->last_trade_id, venue);
    if (prev == NULL) {
        if (PyErr_Occurred())
            return -1;
    }
    else if (!as_i64(prev, &last))
        return 2;
    if (tid <= last)
        return 1;
    return PyDict_SetItem(L->last_trade_id, venue, id) < 0 ? -1 : 0;
}

static PyObject *
lane_vectorcall(Lane *L, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
    if (nargs != 1 || kwnames != NULL) {
        PyErr_SetString(PyExc_TypeError, "on_market_data takes one event");
        return NULL;
    }
    PyObject *ev = args[0];
    PyObject *then;
    int rc;
    Py_INCREF(ev);
    if (LIKELY(Py_TYPE(ev) == TYPES[C_QUOTE])) {
        rc = emit_md(L, ev);
        if (rc == 0)
            rc = lane_quote(L, ev);
        then = L->rest;
    }
    else if (Py_TYPE(ev) == TYPES[C_TRADE]) {
        rc = seen_trade(L, ev);
        if (rc == 1) {
            Py_DECREF(ev);
            Py_RETURN_NONE;
        }
        if (rc == 2) {
            Py_DECREF(ev);
            return PyObject_Vectorcall(L->other, args, 1, NULL);
        }
        if (rc == 0)
            rc = emit_md(L, ev);
        if (rc == 0)
            rc = lane_trade(L, ev);
        then = L->trade_rest;
    }
    else {
        Py_DECREF(ev);
        return PyObject_Vectorcall(L->other, args, 1, NULL);
    }
    Py_DECREF(ev);
    if (rc < 0)
        return NULL;
    if (rc > 0)
        Py_RETURN_NONE;
    if (PyErr_Occurred())
        return NULL;
    return PyObject_Vectorcall(then, args, 1, NULL);
}

static PyObject *
lane_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {
        "system", "rest", "arm", "markets", "history", "kill_switch", "sip", "lines",
        "parents", "now_ns", "stress", "quote_hooks", "engine", "monitor", "regime", "state",
        "trade_rest", "other", "last_trade_id", "algos", "trade_hooks", "volume_quiet", NULL,
    };
    PyObject *o[22];
    if (!PyArg_ParseTupleAndKeywords(
            args, kwds, "O!OOO!OOO!O!O!OO!O!OOOOOOO!O!O!O!:MarketDataLane", kwlist,
            &PyDict_Type, &o[0], &o[1], &o[2], &PyDict_Type, &o[3], &o[4], &o[5], &PyDict_Type,
            &o[6], &PyDict_Type, &o[7], &PyDict_Type, &o[8], &o[9], &PyDict_Type, &o[10],
            &PyDict_Type, &o[11], &o[12], &o[13], &o[14], &o[15], &o[16], &o[17],
            &PyDict_Type, &o[18], &PyDict_Type, &o[19], &PyDict_Type, &o[20], &PyDict_Type,
            &o[21]))
        return NULL;
    if (!BOUND) {
        PyErr_SetString(PyExc_RuntimeError, "MarketDataLane: call bind() first");
        return NULL;
    }
    if (!PyCallable_Check(o[1]) || !PyCallable_Check(o[2]) || !PyCallable_Check(o[9])
        || !PyCallable_Check(o[16]) || !PyCallable_Check(o[17])) {
        PyErr_SetString(PyExc_TypeError,
                        "MarketDataLane: rest, arm, now_ns, trade_rest and other must be "
                        "callables");
        return NULL;
    }
    if (!is_type(o[4], C_HISTORY) || !is_type(o[5], C_KILL) || !is_type(o[12], C_ENGINE)
        || !is_type(o[13], C_MONITOR) || !is_type(o[14], C_REGIME) || !is_type(o[15], C_STATE)) {
        PyErr_SetString(PyExc_TypeError,
                        "MarketDataLane: history, kill_switch, engine, monitor, regime and "
                        "state must be a MarkHistory, a KillSwitch, a StrategyEngine, a "
                        "StressMonitor, a Regime and a RiskState");
        return NULL;
    }
    Lane *L = (Lane *)type->tp_alloc(type, 0);
    if (L == NULL)
        return NULL;
    L->vectorcall = (vectorcallfunc)lane_vectorcall;
    PyObject **dst[22] = {
        &L->system, &L->rest, &L->arm, &L->markets, &L->history, &L->kill, &L->sip,
        &L->lines, &L->parents, &L->now_ns, &L->stress, &L->quote_hooks, &L->engine,
        &L->monitor, &L->regime, &L->state, &L->trade_rest, &L->other, &L->last_trade_id,
        &L->algos, &L->trade_hooks, &L->quiet,
    };
    for (int i = 0; i < 22; i++)
        *dst[i] = Py_NewRef(o[i]);
    L->loop = LOOP_API != NULL ? LOOP_API->loop_of(L->now_ns) : NULL;
    return (PyObject *)L;
}

#define LANE_FIELDS(X)                                                                      \
    X(system) X(rest) X(trade_rest) X(other) X(last_trade_id) X(algos) X(quiet) X(arm)      \
    X(markets) X(history) X(kill) X(sip) X(lines) X(parents) X(now_ns) X(stress)             \
    X(quote_hooks) X(trade_hooks) X(engine) X(monitor) X(regime) X(state)

static int
lane_traverse(Lane *L, visitproc visit, void *arg)
{
#define VISIT(f) Py_VISIT(L->f);
    LANE_FIELDS(VISIT)
#undef VISIT
    return 0;
}

static int
lane_clear(Lane *L)
{
    L->loop = NULL;
#define FORGET(m) memo_clear(&L->m);
    LANE_MEMOS(FORGET)
#undef FORGET
    L->sys_tag = 0;
#define CLEAR(f) Py_CLEAR(L->f);
    LANE_FIELDS(CLEAR)
#undef CLEAR
    return 0;
}

static void
lane_dealloc(Lane *L)
{
    PyObject_GC_UnTrack(L);
    lane_clear(L);
    Py_TYPE(L)->tp_free((PyObject *)L);
}

static PyTypeObject LaneType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "flashguard.system._clane.MarketDataLane",
    .tp_doc = "MarketDataLane(...): TradingSystem.on_market_data in C for the common quote "
              "and trade; call it with one event.",
    .tp_basicsize = sizeof(Lane),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_new = lane_new,
    .tp_traverse = (traverseproc)lane_traverse,
    .tp_clear = (inquiry)lane_clear,
    .tp_dealloc = (destructor)lane_dealloc,
    .tp_vectorcall_offset = offsetof(Lane, vectorcall),
    .tp_call = PyVectorcall_Call,
};

/* ---------------------------------------------------------------------------------------- */
/* bind                                                                                     */
/* ---------------------------------------------------------------------------------------- */

static PyObject *
bind(PyObject *module, PyObject *args)
{
    PyObject *classes, *waiting;
    if (!PyArg_ParseTuple(args, "O!U:bind", &PyDict_Type, &classes, &waiting))
        return NULL;
    PyTypeObject *types[C_COUNT];
    Py_ssize_t off[F_COUNT];
    if (fg_learn_slots(classes, CLASS_NAMES, C_COUNT, FIELDS, F_COUNT, "_clane.c", types, off) < 0)
        return NULL;
    for (int c = 0; c < C_COUNT; c++)
        Py_XSETREF(TYPES[c], (PyTypeObject *)Py_NewRef(types[c]));
    for (int f = 0; f < F_COUNT; f++)
        OFF[f] = off[f];
    Py_INCREF(waiting);
    PyUnicode_InternInPlace(&waiting);
    Py_XSETREF(WAITING, waiting);
    BOUND = 1;
    Py_RETURN_NONE;
}

static PyMethodDef METHODS[] = {
    {"bind", bind, METH_VARARGS,
     "bind(classes: dict[str, type], waiting: str) -> None: learn the slot layout."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef MODULE = {
    PyModuleDef_HEAD_INIT, "_clane",
    "The C twin of the trading system's market-data path (TradingSystem.on_market_data).",
    -1, METHODS,
};

PyMODINIT_FUNC
PyInit__clane(void)
{
    if (PyType_Ready(&LaneType) < 0 || PyType_Ready(&FeedCounterType) < 0)
        return NULL;
    CONSOLIDATED = PyUnicode_InternFromString("ALL");
    S_ON_VOLUME = PyUnicode_InternFromString("_on_volume");
    S_REGIME_AND_HOOKS = PyUnicode_InternFromString("_regime_and_hooks");
    S_CLOSE_SAMPLE = PyUnicode_InternFromString("close_sample");
    S_VOL_SAMPLE_NS = PyUnicode_InternFromString("vol_sample_ns");
    if (S_ON_VOLUME == NULL || S_REGIME_AND_HOOKS == NULL || S_CLOSE_SAMPLE == NULL
        || S_VOL_SAMPLE_NS == NULL)
        return NULL;
    ZERO = PyLong_FromLong(0);
    if (CONSOLIDATED == NULL || ZERO == NULL)
        return NULL;
    for (int k = 0; k < K_COUNT; k++) {
        KEYS[k] = PyUnicode_InternFromString(KEY_NAMES[k]);
        if (KEYS[k] == NULL)
            return NULL;
    }
    /* the C loop's direct way to the time, when it is built; loop.now_ns() otherwise */
    LOOP_API = (const FgLoopApi *)PyCapsule_Import(FG_CLOOP_API_CAPSULE, 0);
    if (LOOP_API == NULL || LOOP_API->version != FG_CLOOP_API_VERSION) {
        PyErr_Clear();
        LOOP_API = NULL;
    }
    PyObject *m = PyModule_Create(&MODULE);
    if (m == NULL)
        return NULL;
    if (PyModule_AddObjectRef(m, "MarketDataLane", (PyObject *)&LaneType) < 0
        || PyModule_AddObjectRef(m, "FeedCounter", (PyObject *)&FeedCounterType) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
