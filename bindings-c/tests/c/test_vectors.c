/* The shared conformance vectors (tests/vectors, one JSON file per area)
 * through the C API,
 * as the Rust, Node, Kotlin, Swift and Python suites run them: outputs
 * compared exactly. scripts/vectors-to-c.py turns the JSON into vectors.h
 * (C has no JSON parser); scripts/test-c.sh builds and runs this with the
 * certificate fixtures' folder as its argument. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmpptls.h"

struct identity_case {
  const char *name, *certificate;
  const uint8_t *bytes;
  size_t bytes_len;
  const char *domain;
  uint32_t service;
  int cn_fallback;
  uint32_t expect_kind, expect_error;
};
struct knob {
  const char *knob, *text;
  int flag;
  uint32_t mask;
};
struct policy_case {
  const char *name;
  uint32_t preset;
  struct knob knobs[4];
  size_t n_knobs;
  int encrypted;
  const char *tls_version, *cipher_suite, *kx_group;
  uint32_t kx_bits;
  const char *peer_key_type;
  uint32_t peer_key_bits;
  int compression, resumed, ticket, extended_master_secret;
  uint32_t auth;
  const char *verdict;
  const char *findings[8];
  size_t n_findings;
  uint32_t expect_error;
};
struct posh_case {
  const char *name, *document, *followed;
  uint64_t fetched_at, now;
  uint32_t expect;
};
struct error_case {
  const char *name, *call, *input;
  uint32_t trust, expect;
};

struct step {
  const char *op;
  int from, to;
  const char *stanza;
  uint32_t expect_error;
};
struct expected_event {
  int side;
  uint32_t kind;
  const char *peer;
  /* established: the authentication method; stanza: the stanza. */
  const char *text;
  int first_use;
  uint32_t close_reason;
  size_t returned;
  uint32_t error;
  /* established: the TLS version the report names. */
  const char *tls_version;
  /* closed by a timeout: what it waited for (XMPPTLS_WAIT_*), else 0. */
  uint32_t waited;
  /* established: our role (XMPPTLS_ROLE_*), else 0. */
  uint32_t role;
};
/* A setting a case leaves at the library's default. */
#define UNSET 0xFFFFFFFFu
struct tunnel_case {
  const char *name;
  uint32_t trust[2];
  /* Per side: XMPPTLS_VERSIONS_* and XMPPTLS_KEY_EXCHANGE_*, or UNSET. */
  uint32_t versions[2], key_exchange[2];
  struct step steps[16];
  size_t n_steps;
  struct expected_event events[8];
  size_t n_events;
};

struct octets {
  const uint8_t *data;
  size_t len;
};
struct expected_sct {
  const char *source, *status;
};
struct ct_case {
  const char *name, *log_list, *domain;
  struct octets chain[2];
  size_t n_chain;
  struct octets sct_list, ocsp_response;
  uint64_t time;
  const char *verdict;
  const char *findings[8];
  size_t n_findings;
  int compliant; /* -1: CT not checked */
  struct expected_sct scts[8];
  size_t n_scts;
  uint32_t expect_error;
  /* A pin store's JSON to check against (NULL: no pins), and the report's
   * expected pin status (NULL: none). */
  const char *pins_json, *pin;
};

#include "vectors.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const char *certs;
static int passed, failed;

static void verdict(int ok, const char *suite, const char *name) {
  printf("%s - c vectors: %s: %s\n", ok ? "ok" : "not ok", suite, name);
  if (ok) passed++; else failed++;
}

static uint8_t *read_fixture(const char *file, size_t *len) {
  char path[1024];
  snprintf(path, sizeof path, "%s/%s", certs, file);
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  *len = (size_t)ftell(f);
  rewind(f);
  uint8_t *buf = malloc(*len);
  if (buf && fread(buf, 1, *len, f) != *len) { free(buf); buf = NULL; }
  fclose(f);
  return buf;
}

static void identity_vectors(void) {
  for (size_t i = 0; i < COUNT(identity_cases); i++) {
    const struct identity_case *c = &identity_cases[i];
    size_t len = c->bytes_len;
    uint8_t *der = c->certificate ? read_fixture(c->certificate, &len) : NULL;
    uint32_t kind = 99;
    xmpptls_result r = xmpptls_check_identity(der ? der : c->bytes, len, c->domain, c->service, c->cn_fallback, &kind);
    int ok = c->expect_error ? (uint32_t)r == c->expect_error : (r == XMPPTLS_OK && kind == c->expect_kind);
    verdict(ok, "identity", c->name);
    free(der);
  }
}

static int cmp(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

static xmpptls_result knob(xmpptls_policy *p, const struct knob *k) {
  uint16_t code = 0;
  xmpptls_result r;
  if (!strcmp(k->knob, "require_encryption")) return xmpptls_policy_set_require_encryption(p, k->flag);
  if (!strcmp(k->knob, "require_authentication")) return xmpptls_policy_set_require_authentication(p, k->flag);
  if (!strcmp(k->knob, "cn_fallback")) return xmpptls_policy_set_cn_fallback(p, k->flag);
  if (!strcmp(k->knob, "require_post_quantum")) return xmpptls_policy_set_require_post_quantum(p, k->flag);
  if (!strcmp(k->knob, "allowed_auth")) return xmpptls_policy_set_allowed_auth(p, k->mask);
  if (!strcmp(k->knob, "min_version")) {
    if ((r = xmpptls_tls_version_code(k->text, &code)) != XMPPTLS_OK) return r;
    return xmpptls_policy_set_min_version(p, code);
  }
  if ((r = xmpptls_suite_code(k->text, &code)) != XMPPTLS_OK) return r;
  return !strcmp(k->knob, "deny_suite") ? xmpptls_policy_deny_suite(p, code) : xmpptls_policy_allow_suite(p, code);
}

static const char *verdict_name(uint32_t v) {
  return v == XMPPTLS_VERDICT_PASS ? "pass" : v == XMPPTLS_VERDICT_WARN ? "warn" : "fail";
}

/* Grades one case; returns 0 or the error code. */
static uint32_t grade(const struct policy_case *c, const char **verdict_out, const char **codes, size_t *n) {
  xmpptls_policy *p = NULL;
  xmpptls_result r = xmpptls_policy_new(c->preset, &p);
  for (size_t k = 0; r == XMPPTLS_OK && k < c->n_knobs; k++) r = knob(p, &c->knobs[k]);
  xmpptls_negotiated neg = {c->encrypted, 0, 0, c->kx_bits, c->peer_key_bits, c->compression, c->resumed,
                            c->ticket, c->extended_master_secret, c->auth, NULL, 0, c->kx_group,
                            c->peer_key_type};
  if (r == XMPPTLS_OK && c->tls_version) r = xmpptls_tls_version_code(c->tls_version, &neg.version);
  if (r == XMPPTLS_OK && c->cipher_suite) r = xmpptls_suite_code(c->cipher_suite, &neg.suite);
  xmpptls_report *rep = NULL;
  if (r == XMPPTLS_OK) r = xmpptls_evaluate_with_policy(p, "example.net", &neg, &rep);
  if (r == XMPPTLS_OK) {
    *verdict_out = verdict_name(xmpptls_report_verdict(rep));
    *n = xmpptls_report_findings(rep);
    for (size_t i = 0; i < *n && i < 8; i++) {
      uint32_t sev;
      const char *code, *message;
      xmpptls_report_finding(rep, i, &sev, &code, &message);
      /* "code:severity", as the vectors' header writes each finding. */
      static const char *severities[] = {"info", "warning", "error"};
      size_t size = strlen(code) + 10;
      char *copy = malloc(size);
      if (copy) snprintf(copy, size, "%s:%s", code, sev < 3 ? severities[sev] : "?");
      codes[i] = copy;
    }
    qsort(codes, *n, sizeof *codes, cmp);
  }
  xmpptls_report_free(rep);
  xmpptls_policy_free(p);
  return (uint32_t)r;
}

static void policy_vectors(void) {
  for (size_t i = 0; i < COUNT(policy_cases); i++) {
    const struct policy_case *c = &policy_cases[i];
    const char *v = NULL, *codes[8] = {0};
    size_t n = 0;
    uint32_t err = grade(c, &v, codes, &n);
    int ok = c->expect_error ? err == c->expect_error : err == 0 && !strcmp(v, c->verdict) && n == c->n_findings;
    for (size_t f = 0; ok && !c->expect_error && f < n; f++) ok = !strcmp(codes[f], c->findings[f]);
    for (size_t f = 0; f < n && f < 8; f++) free((void *)codes[f]);
    verdict(ok, "policy", c->name);
  }
}

static void posh_vectors(void) {
  size_t len = 0;
  uint8_t *der = read_fixture(posh_certificate, &len);
  for (size_t i = 0; i < COUNT(posh_cases); i++) {
    const struct posh_case *c = &posh_cases[i];
    uint32_t outcome = 0;
    xmpptls_result r = xmpptls_posh_verify(c->document, strlen(c->document),
        c->followed, c->followed ? strlen(c->followed) : 0, der, len, c->fetched_at, c->now, &outcome);
    verdict(der && r == XMPPTLS_OK && outcome == c->expect, "posh", c->name);
  }
  free(der);
}

static void error_vectors(void) {
  for (size_t i = 0; i < COUNT(error_cases); i++) {
    const struct error_case *c = &error_cases[i];
    const char *in = c->input;
    size_t len = strlen(c->input);
    xmpptls_result r = XMPPTLS_OK;
    if (!strcmp(c->call, "pin_store_from_json")) {
      xmpptls_pin_store *s = NULL;
      r = xmpptls_pin_store_from_json(in, len, &s);
      xmpptls_pin_store_free(s);
    } else if (!strcmp(c->call, "endpoint_with_identity_pem")) {
      xmpptls_identity *id = NULL;
      r = xmpptls_identity_from_pem(in, len, in, len, &id);
      xmpptls_identity_free(id);
    } else if (!strcmp(c->call, "endpoint_with_trust")) {
      xmpptls_endpoint *ep = NULL;
      r = xmpptls_endpoint_new("romeo@montague.lit/orchard", c->trust, &ep);
      xmpptls_endpoint_free(ep);
    } else if (!strcmp(c->call, "open_tunnel")) {
      xmpptls_endpoint *ep = NULL;
      if (xmpptls_endpoint_new("romeo@montague.lit/orchard", XMPPTLS_TRUST_OFFER, &ep) == XMPPTLS_OK)
        r = xmpptls_endpoint_open(ep, c->input, 1800000000u);
      xmpptls_endpoint_free(ep);
    }
    verdict((uint32_t)r == c->expect, "errors", c->name);
  }
}

static xmpptls_endpoint *tunnel_endpoint(const struct tunnel_case *c, int side) {
  const char *jid = side ? tunnel_jid_1 : tunnel_jid_0, *chain = side ? tunnel_chain_1 : tunnel_chain_0;
  const char *key = side ? tunnel_key_1 : tunnel_key_0;
  xmpptls_endpoint_config *cfg = NULL;
  xmpptls_identity *id = NULL;
  xmpptls_endpoint *ep = NULL;
  if (xmpptls_endpoint_config_new(jid, &cfg) == XMPPTLS_OK && xmpptls_endpoint_config_set_trust(cfg, c->trust[side]) == XMPPTLS_OK &&
      xmpptls_identity_from_pem(chain, strlen(chain), key, strlen(key), &id) == XMPPTLS_OK &&
      xmpptls_endpoint_config_set_identity(cfg, id) == XMPPTLS_OK &&
      (c->versions[side] == UNSET || xmpptls_endpoint_config_set_versions(cfg, c->versions[side]) == XMPPTLS_OK) &&
      (c->key_exchange[side] == UNSET || xmpptls_endpoint_config_set_key_exchange(cfg, c->key_exchange[side]) == XMPPTLS_OK))
    xmpptls_endpoint_new_with_config(cfg, NULL, NULL, &ep);
  xmpptls_identity_free(id);
  xmpptls_endpoint_config_free(cfg);
  return ep;
}

/* Moves every transmit of `side` to the other side once; whether there was
 * any. Refusals show in the events. */
static int deliver(xmpptls_endpoint *eps[2], int side) {
  int moved = 0;
  size_t len;
  while (xmpptls_endpoint_transmit_len(eps[side], &len) == XMPPTLS_OK) {
    char *buf = malloc(len + 1);
    size_t w = 0;
    int handled;
    if (buf && xmpptls_endpoint_poll_transmit(eps[side], buf, len + 1, &w) == XMPPTLS_OK)
      xmpptls_endpoint_handle_incoming(eps[1 - side], buf, w, 1800000000u, &handled);
    free(buf);
    moved = 1;
  }
  return moved;
}

/* Moves every stanza to the other side until both are quiet. */
static void route(xmpptls_endpoint *eps[2]) {
  while (deliver(eps, 0) | deliver(eps, 1)) {
  }
}

/* Everything both endpoints have to send is lost on the way. */
static void lose(xmpptls_endpoint *eps[2]) {
  for (int side = 0; side < 2; side++) {
    size_t len;
    while (xmpptls_endpoint_transmit_len(eps[side], &len) == XMPPTLS_OK) {
      char *buf = malloc(len + 1);
      size_t w = 0;
      if (!buf || xmpptls_endpoint_poll_transmit(eps[side], buf, len + 1, &w) != XMPPTLS_OK) {
        free(buf);
        return;
      }
      free(buf);
    }
  }
}

/* Whether the next event of `ep` is `want`. */
static int next_event_is(xmpptls_endpoint *ep, const struct expected_event *want) {
  xmpptls_event *ev = NULL;
  if (xmpptls_endpoint_poll_event(ep, &ev) != XMPPTLS_OK) return 0;
  size_t plen = 0, tlen = 0, w = 0;
  int ok = xmpptls_event_kind(ev) == want->kind && xmpptls_event_lens(ev, &plen, &tlen) == XMPPTLS_OK;
  char *peer = malloc(plen + 1), *text = malloc(tlen + 1);
  ok = ok && peer && text && xmpptls_event_peer(ev, peer, plen + 1, &w) == XMPPTLS_OK &&
       xmpptls_event_text(ev, text, tlen + 1, &w) == XMPPTLS_OK && !strcmp(peer, want->peer);
  if (ok && want->kind == XMPPTLS_EVENT_ESTABLISHED) {
    /* The text is the report JSON: its authentication, its TLS version,
     * and a pin just made. */
    char auth[64], version[64];
    snprintf(auth, sizeof auth, "\"authentication\":\"%s\"", want->text);
    snprintf(version, sizeof version, "\"tls_version\":\"%s\"", want->tls_version);
    ok = strstr(text, auth) != NULL && strstr(text, version) != NULL &&
         (strstr(text, "\"status\":\"new\"") != NULL) == want->first_use && xmpptls_event_role(ev) == want->role;
  } else if (ok && want->kind == XMPPTLS_EVENT_STANZA) {
    ok = !strcmp(text, want->text);
  } else if (ok && want->kind == XMPPTLS_EVENT_STANZA_REJECTED) {
    ok = xmpptls_event_error_code(ev) == want->error;
  } else if (ok) {
    ok = xmpptls_event_close_reason(ev) == want->close_reason && xmpptls_event_returned_count(ev) == want->returned &&
         xmpptls_event_error_code(ev) == want->error && xmpptls_event_waited(ev) == want->waited;
  }
  free(peer);
  free(text);
  xmpptls_event_free(ev);
  return ok;
}

static void tunnel_vectors(void) {
  const char *jids[2] = {tunnel_jid_0, tunnel_jid_1};
  for (size_t i = 0; i < COUNT(tunnel_cases); i++) {
    const struct tunnel_case *c = &tunnel_cases[i];
    xmpptls_endpoint *eps[2] = {tunnel_endpoint(c, 0), tunnel_endpoint(c, 1)};
    int ok = eps[0] && eps[1];
    for (size_t s = 0; ok && s < c->n_steps; s++) {
      const struct step *st = &c->steps[s];
      xmpptls_endpoint *ep = eps[st->from];
      const char *peer = jids[st->to];
      xmpptls_result r = XMPPTLS_OK;
      uint64_t at = 0;
      if (!strcmp(st->op, "route")) route(eps);
      else if (!strcmp(st->op, "deliver")) deliver(eps, st->from);
      else if (!strcmp(st->op, "lose")) lose(eps);
      else if (!strcmp(st->op, "restart")) {
        xmpptls_endpoint_free(eps[st->from]);
        eps[st->from] = tunnel_endpoint(c, st->from);
        ok = eps[st->from] != NULL;
        continue;
      } else if (!strcmp(st->op, "state")) {
        /* The expected state's code, 0 for no tunnel. */
        uint32_t state = 0;
        r = xmpptls_endpoint_tunnel_state(ep, peer, &state);
        ok = (r == XMPPTLS_OK || r == XMPPTLS_EMPTY) && state == st->expect_error;
        continue;
      }
      else if (!strcmp(st->op, "timeout")) {
        /* The clock moves to the endpoint's deadline, which must be set. */
        ok = xmpptls_endpoint_poll_timeout(ep, &at) == XMPPTLS_OK;
        if (ok) r = xmpptls_endpoint_handle_timeout(ep, at);
      }
      else if (!strcmp(st->op, "open")) r = xmpptls_endpoint_open(ep, peer, 1800000000u);
      else if (!strcmp(st->op, "send")) r = xmpptls_endpoint_send(ep, peer, st->stanza, strlen(st->stanza), 1800000000u);
      else if (!strcmp(st->op, "close")) r = xmpptls_endpoint_close(ep, peer, 1800000000u);
      else if (!strcmp(st->op, "peer_unavailable")) r = xmpptls_endpoint_peer_unavailable(ep, peer);
      ok = (uint32_t)r == st->expect_error;
    }
    for (size_t e = 0; ok && e < c->n_events; e++) ok = next_event_is(eps[c->events[e].side], &c->events[e]);
    xmpptls_event *extra = NULL;
    for (int side = 0; ok && side < 2; side++) ok = xmpptls_endpoint_poll_event(eps[side], &extra) == XMPPTLS_EMPTY;
    xmpptls_event_free(extra);
    xmpptls_endpoint_free(eps[0]);
    xmpptls_endpoint_free(eps[1]);
    verdict(ok, "tunnel", c->name);
  }
}

static char *read_text(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  *len = (size_t)ftell(f);
  rewind(f);
  char *buf = malloc(*len + 1);
  if (buf && fread(buf, 1, *len, f) != *len) { free(buf); buf = NULL; }
  fclose(f);
  return buf;
}

/* One CT case: the server check under `strict` with the case's log list;
 * returns 0 when its outputs are the expected ones. */
static int ct_case_ok(const struct ct_case *c) {
  xmpptls_policy *p = NULL;
  xmpptls_result r = xmpptls_policy_new(XMPPTLS_POLICY_STRICT, &p);
  if (r == XMPPTLS_OK && c->log_list) {
    size_t len = 0;
    char *json = read_text(c->log_list, &len);
    r = json ? xmpptls_policy_set_ct_log_list(p, (const uint8_t *)json, len) : XMPPTLS_INVALID_PARAMETER;
    free(json);
  }
  xmpptls_der chain[2];
  for (size_t i = 0; i < c->n_chain; i++) chain[i] = (xmpptls_der){c->chain[i].data, c->chain[i].len};
  xmpptls_negotiated n = {1, 0, 0, 0, 0, 0, 0, 0, -1, XMPPTLS_AUTH_PKIX, chain, c->n_chain, "X25519MLKEM768", NULL,
                          {c->sct_list.data, c->sct_list.len}, {c->ocsp_response.data, c->ocsp_response.len},
                          c->time};
  if (r == XMPPTLS_OK) r = xmpptls_tls_version_code("TLSv1.3", &n.version);
  if (r == XMPPTLS_OK) r = xmpptls_suite_code("TLS_AES_256_GCM_SHA384", &n.suite);
  xmpptls_report *rep = NULL;
  xmpptls_pin_store *pins = NULL;
  if (r == XMPPTLS_OK && c->pins_json) r = xmpptls_pin_store_from_json(c->pins_json, strlen(c->pins_json), &pins);
  if (r == XMPPTLS_OK) r = xmpptls_check_server(p, c->domain, XMPPTLS_SERVICE_CLIENT, &n, pins, &rep);
  xmpptls_pin_store_free(pins);
  int ok;
  if (c->expect_error) {
    ok = (uint32_t)r == c->expect_error;
  } else if (r != XMPPTLS_OK) {
    ok = 0;
  } else {
    const char *codes[8] = {0};
    size_t count = xmpptls_report_findings(rep);
    ok = count == c->n_findings && !strcmp(verdict_name(xmpptls_report_verdict(rep)), c->verdict) &&
         xmpptls_report_ct(rep) == c->compliant && xmpptls_report_scts(rep) == c->n_scts;
    for (size_t i = 0; ok && i < count; i++) {
      uint32_t sev;
      const char *message;
      xmpptls_report_finding(rep, i, &sev, &codes[i], &message);
    }
    if (ok) qsort(codes, count, sizeof *codes, cmp);
    for (size_t i = 0; ok && i < count; i++) ok = !strcmp(codes[i], c->findings[i]);
    for (size_t i = 0; ok && i < c->n_scts; i++) {
      const char *source, *status, *log;
      ok = xmpptls_report_sct(rep, i, &source, &status, &log) == XMPPTLS_OK && !strcmp(source, c->scts[i].source) &&
           !strcmp(status, c->scts[i].status);
    }
    /* The pin status, from the report's JSON: "pin":null, or an object
     * (keys in any order) whose status is the expected one. */
    char json[16384], want[64];
    size_t w = 0;
    ok = ok && xmpptls_report_json(rep, json, sizeof json, &w) == XMPPTLS_OK;
    char *pin = ok ? strstr(json, "\"pin\":") : NULL, *end = pin ? strchr(pin, '}') : NULL;
    snprintf(want, sizeof want, "\"status\":\"%s\"", c->pin ? c->pin : "");
    if (end) *end = '\0'; /* the pin object alone */
    if (!c->pin) ok = ok && pin && !strncmp(pin + 6, "null", 4);
    else ok = ok && pin && pin[6] == '{' && end && strstr(pin, want) != NULL;
  }
  xmpptls_report_free(rep);
  xmpptls_policy_free(p);
  return ok;
}

static void ct_vectors(void) {
  for (size_t i = 0; i < COUNT(ct_cases); i++) verdict(ct_case_ok(&ct_cases[i]), "ct", ct_cases[i].name);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s FIXTURE_CERT_DIR\n", argv[0]);
    return 2;
  }
  certs = argv[1];
  identity_vectors();
  policy_vectors();
  posh_vectors();
  error_vectors();
  tunnel_vectors();
  ct_vectors();
  printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
