// Terrain volunteers' app: assignments, walk lists and reports that work offline.
// Downloaded turfs and reports waiting to be sent are kept in IndexedDB; reports carry
// a UUID made here, so sending one again (after a dropped connection) is harmless.
(function () {
  "use strict";
  const main = document.getElementById("main");
  const T = JSON.parse(document.getElementById("app-i18n").textContent);
  const statusLine = document.getElementById("sync-status");
  const BATCH = 100;
  let db = null;
  let syncing = null; // the sync under way, if any
  let retryDelay = 2000;
  let retryTimer = null;

  // ---- storage ----
  function openDb() {
    return new Promise((resolve, reject) => {
      const request = indexedDB.open("terrain-" + main.dataset.storage, 1);
      request.onupgradeneeded = () => {
        const d = request.result;
        d.createObjectStore("assignments", { keyPath: "id" });
        d.createObjectStore("outbox", { keyPath: "uuid" });
        d.createObjectStore("sent", { keyPath: "uuid" });
        d.createObjectStore("refused", { keyPath: "uuid" });
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }

  function store(name, mode, fn) {
    return new Promise((resolve, reject) => {
      const tx = db.transaction(name, mode);
      const result = fn(tx.objectStore(name));
      tx.oncomplete = () => resolve(result && "result" in result ? result.result : undefined);
      tx.onerror = () => reject(tx.error);
    });
  }
  const getAll = (name) => store(name, "readonly", (s) => s.getAll());
  const put = (name, value) => store(name, "readwrite", (s) => s.put(value));
  const remove = (name, key) => store(name, "readwrite", (s) => s.delete(key));

  // ---- network ----
  function csrfToken() {
    const cookie = document.cookie.split("; ").find((c) => c.startsWith("csrftoken="));
    return cookie ? cookie.split("=")[1] : main.dataset.csrf;
  }

  async function api(url, options = {}) {
    const response = await fetch(url, {
      credentials: "same-origin",
      ...options,
      headers: { Accept: "application/json", "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
    });
    return response;
  }

  function newUuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  // ---- small DOM helper ----
  // A date and time the way the page's language writes them, without seconds.
  const dateTime = new Intl.DateTimeFormat(document.documentElement.lang || undefined, {
    dateStyle: "medium",
    timeStyle: "short",
  });
  const plural = new Intl.PluralRules(document.documentElement.lang || undefined);
  function when(iso) {
    return dateTime.format(new Date(iso));
  }

  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "onclick" || k === "onsubmit" || k === "onchange") node[k] = v;
      else if (k === "text") node.textContent = v;
      else node.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children.flat()) if (c !== null && c !== undefined) node.append(c);
    return node;
  }

  function show(sectionId) {
    for (const id of ["today", "assignments", "turf", "door", "phone", "route"]) {
      document.getElementById(id).hidden = !(
        id === sectionId || (sectionId === "assignments" && id === "today")
      );
    }
    window.scrollTo(0, 0);
  }

  // ---- status and today's count ----
  async function updateStatus() {
    const [pending, refused] = await Promise.all([getAll("outbox"), getAll("refused")]);
    let text;
    if (!navigator.onLine) text = `${T.offline} · ${pending.length} ${T.pending}`;
    else if (pending.length) text = `${T.sending} · ${pending.length} ${T.pending}`;
    else text = T.synced;
    if (refused.length) {
      text += ` · ${refused.length} ${plural.select(refused.length) === "one" ? T.refused : T.refused_many}`;
    }
    renderRefused(refused);
    statusLine.textContent = text;
    statusLine.dataset.pending = String(pending.length);
    statusLine.dataset.online = String(navigator.onLine);
    const today = new Date().toDateString();
    const isToday = (r) => new Date(r.done_at).toDateString() === today;
    const waiting = pending.filter(isToday).length;
    const count = heldToday && heldToday.day === today
      ? heldToday.total + waiting
      : waiting + (await getAll("sent")).filter(isToday).length;
    document.getElementById("today-count").textContent = String(count);
    document.getElementById("today-label").textContent = plural.select(count) === "one" ? T.report_today : T.reports_today;
  }

  // Reports the server refused, each with its reason: the volunteer reads why, then
  // removes it, or sends it again without the new person it carried (who goes into the
  // notes for the team: a mistyped number refused the whole door otherwise).
  function renderRefused(refused) {
    const box = document.getElementById("refused-box");
    const list = document.getElementById("refused-items");
    box.hidden = !refused.length;
    list.replaceChildren(
      ...refused.sort((a, b) => a.done_at.localeCompare(b.done_at)).map((item) =>
        el(
          "li",
          { class: "card", "data-refused": item.uuid },
          el("p", {}, el("strong", { text: item.label || "" }), ` · ${when(item.done_at)}`),
          el("p", { class: "errors", text: inWords(item.detail || "") }),
          item.report.new_person
            ? el("button", { type: "button", onclick: () => resendWithoutPerson(item), text: T.resend_without_person })
            : null,
          el("button", { type: "button", onclick: () => forgetRefused(item), text: T.remove })
        )
      )
    );
  }

  // The server names the report's fields as the API spells them ("« new_person.phone »"):
  // said here in the form's words.
  function inWords(detail) {
    const fields = { consents: T.agrees_to };
    return detail
      .replace(/« new_person\.(\w+) »/g, (match, f) => `${T.new_person_short} — ${fields[f] || T[f] || f}`)
      .replace(/« new_person »/g, T.new_person_short);
  }

  async function forgetRefused(item) {
    await remove("refused", item.uuid);
    await updateStatus();
  }

  async function resendWithoutPerson(item) {
    const { new_person: p, ...report } = item.report;
    const who = [`${p.first_names} ${p.last_name}`.trim(), p.phone, p.email].filter(Boolean).join(", ");
    report.notes = [report.notes, `${T.np_note} : ${who}`].filter(Boolean).join("\n");
    await put("outbox", { uuid: item.uuid, done_at: item.done_at, report, label: item.label });
    await remove("refused", item.uuid);
    await updateStatus();
    sync();
  }

  // What the campaign already holds of my day, from every phone I used (this one may
  // be new, or its storage cleared): asked when the app opens and after reports go
  // out; offline, the count is this phone's own.
  let heldToday = null; // { day, total }
  async function fetchToday() {
    if (!navigator.onLine) return;
    try {
      const response = await api(main.dataset.apiToday);
      if (response.ok) heldToday = { day: new Date().toDateString(), total: (await response.json()).total };
    } catch (error) {
      /* offline after all: keep counting on the phone */
    }
  }

  // ---- sync ----
  // Send the outbox; while a sync is under way, calling again gives that same one, and
  // one more follows it: that sync may have read the outbox before the report that
  // called went in (which otherwise waited for the next 30-second round).
  let syncAgain = false;
  function sync() {
    if (!db) return Promise.resolve();
    if (syncing) {
      syncAgain = true;
      return syncing;
    }
    syncing = sendOutbox()
      .then((sent) => (sent || !heldToday || heldToday.day !== new Date().toDateString() ? fetchToday() : null))
      .finally(async () => {
        syncing = null;
        await updateStatus();
        if (syncAgain) {
          syncAgain = false;
          if (navigator.onLine && (await getAll("outbox")).length) sync();
        }
      });
    return syncing;
  }

  // Returns how many reports the server took (stored now or before).
  async function sendOutbox() {
    clearTimeout(retryTimer);
    let stored = 0;
    try {
      let pending = await getAll("outbox");
      let recent = 0;
      pending.sort((a, b) => a.done_at.localeCompare(b.done_at));
      while (pending.length) {
        const batch = pending.slice(0, BATCH);
        const response = await api(main.dataset.apiReports, {
          method: "POST",
          body: JSON.stringify({ reports: batch.map((r) => r.report) }),
        });
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        const { results } = await response.json();
        for (const [i, outcome] of results.entries()) {
          const item = batch[i];
          await remove("outbox", item.uuid);
          if (outcome.status === 200 || outcome.status === 201) {
            await put("sent", { uuid: item.uuid, done_at: item.done_at });
            stored += 1;
            // Met anyway a door the campaign reached lately (no double contact): say so.
            if (outcome.report && outcome.report.recently_contacted) recent += 1;
          } else {
            await put("refused", { ...item, detail: outcome.detail });
          }
        }
        pending = pending.slice(BATCH);
      }
      const notice = document.getElementById("recent-notice");
      if (notice && recent) {
        notice.textContent = `${recent} ${T.recent}`;
        notice.hidden = false;
      }
      retryDelay = 2000;
    } catch (error) {
      // Offline or server trouble: keep everything and try again later.
      retryTimer = setTimeout(sync, retryDelay);
      retryDelay = Math.min(retryDelay * 2, 60000);
    }
    return stored;
  }

  // Wait for a sync under way, then send what is still waiting (one try: offline, the
  // reports stay queued and the caller carries on).
  async function sendPending() {
    await syncing;
    if (db && (await getAll("outbox")).length) await sync();
  }

  // ---- assignments ----
  async function refreshAssignments() {
    if (navigator.onLine) {
      try {
        const response = await api(main.dataset.apiAssignments + "?current=1");
        if (response.ok) {
          const current = await response.json();
          const stored = Object.fromEntries((await getAll("assignments")).map((a) => [a.id, a]));
          for (const a of current) await put("assignments", { ...a, walk: stored[a.id] ? stored[a.id].walk : null });
          const ids = new Set(current.map((a) => a.id));
          for (const id of Object.keys(stored)) if (!ids.has(Number(id))) await remove("assignments", Number(id));
        }
      } catch (error) {
        /* offline: show what is stored */
      }
    }
    await renderAssignments();
  }

  async function renderAssignments() {
    const list = document.getElementById("assignment-list");
    const assignments = await getAll("assignments");
    list.replaceChildren();
    if (!assignments.length) list.append(el("li", { text: T.no_assignment }));
    for (const a of assignments) {
      const action = a.action_detail;
      const isPhone = action.kind === "phone";
      const isRoute = !a.turf && (action.kind === "leafleting" || action.kind === "letterbox");
      const ready = isPhone || isRoute || a.walk;
      list.append(
        el(
          "li",
          { class: "card", "data-assignment": a.id },
          el("h3", { text: action.name }),
          a.turf_name ? el("p", { text: `${a.turf_name} · ${a.door_count} ${T.doors}` }) : null,
          el("p", {
            class: "muted",
            text: `${when(a.starts_at)} → ${when(a.ends_at)}`,
          }),
          a.walk ? el("p", { class: "ok", text: T.downloaded }) : null,
          ready
            ? el("button", {
                type: "button",
                onclick: () => (isPhone ? openPhone(a) : isRoute ? openRoute(a) : openTurf(a)),
                text: T.open,
              })
            : el("button", { type: "button", onclick: () => download(a), text: T.download })
        )
      );
    }
  }

  async function download(a) {
    const response = await api(`${main.dataset.apiAssignments}${a.id}/walk-list/`);
    if (!response.ok) return;
    a.walk = await response.json();
    await put("assignments", a);
    await renderAssignments();
  }

  // ---- turf and doors ----
  function scriptBlock(action) {
    if (!action.script) return null;
    return el("details", { class: "script" }, el("summary", { text: T.script }), el("p", { text: action.script }));
  }

  function openTurf(a) {
    const section = document.getElementById("turf");
    const action = a.action_detail;
    section.replaceChildren(
      el("button", { type: "button", class: "back", onclick: () => show("assignments"), text: `← ${T.back}` }),
      el("h2", { id: "turf-title", text: `${a.walk.name} — ${action.name}` }),
      scriptBlock(action),
      ...a.walk.streets.map((street) =>
        el(
          "section",
          { class: "street" },
          el("h3", { text: street.street }),
          el(
            "ol",
            { class: "buildings" },
            ...street.buildings.map((b) =>
              el(
                "li",
                { value: b.position },
                el("span", { class: "address", text: b.line1 }),
                el(
                  "ul",
                  { class: "doors" },
                  ...b.doors.map((door) => {
                    const names = door.people.map((p) => `${p.first_names} ${p.last_name}`.trim()).join(", ");
                    const label = [door.label, names || T.nobody].filter(Boolean).join(" — ");
                    // A door done says how it went; one where nobody was met (absent,
                    // come back later) is marked to knock at again.
                    const result = door.done && action.result_codes.find((c) => c.code === door.done.result);
                    const again = door.done && !(result && result.reached);
                    return el(
                      "li",
                      {},
                      el("button", {
                        type: "button",
                        class: door.done ? (again ? "door done again" : "door done") : "door",
                        "data-done": door.done ? "true" : "false",
                        onclick: () => openDoor(a, b, door),
                        text: door.done ? `${again ? "↻" : "✓"} ${label} — ${result ? result.label : T.done}` : label,
                      })
                    );
                  })
                )
              )
            )
          )
        )
      )
    );
    show("turf");
  }

  // Whether a result means someone was met: only then are the survey's questions asked.
  const metWith = (action, code) => action.result_codes.some((c) => c.code === code && c.reached);

  function resultAndSurvey(action, prefix) {
    const nodes = [];
    const questions = []; // shown once a result where someone was met is chosen
    nodes.push(
      el(
        "fieldset",
        { class: "results" },
        el("legend", { text: T.result }),
        ...action.result_codes.map((c, i) =>
          el(
            "label",
            { class: "choice" },
            el("input", {
              type: "radio", name: `${prefix}-result`, value: c.code, required: i === 0,
              onchange: () => questions.forEach((q) => { q.hidden = !c.reached; }),
            }),
            ` ${c.label}`
          )
        )
      )
    );
    for (const q of action.survey) {
      const name = `${prefix}-q-${q.id}`;
      if (q.type === "text") {
        nodes.push(el("p", { class: "question", hidden: true }, el("label", { for: name, text: q.label }),
                      el("textarea", { id: name, name })));
        questions.push(nodes[nodes.length - 1]);
        continue;
      }
      const options =
        q.type === "yes_no"
          ? [["true", T.yes], ["false", T.no]]
          : q.type === "scale"
            ? ["1", "2", "3", "4", "5"].map((v) => [v, v])
            : q.choices.map((c) => [c, c]);
      nodes.push(
        el(
          "fieldset",
          { class: "question", "data-question": q.id, "data-type": q.type, hidden: true },
          el("legend", { text: q.label }),
          ...options.map(([value, text]) =>
            el(
              "label",
              { class: "choice" },
              el("input", { type: q.type === "multiple" ? "checkbox" : "radio", name, value }),
              ` ${text}`
            )
          )
        )
      );
      questions.push(nodes[nodes.length - 1]);
    }
    if (action.kind === "letterbox" || action.kind === "leafleting") {
      nodes.push(
        el(
          "p",
          {},
          el("label", { for: `${prefix}-leaflets`, text: T.leaflets }),
          el("input", { id: `${prefix}-leaflets`, name: "leaflets", type: "number", min: "0", value: "1" })
        )
      );
    }
    nodes.push(
      el("p", {}, el("label", { for: `${prefix}-notes`, text: T.notes }), el("textarea", { id: `${prefix}-notes`, name: "notes" })),
      el("p", {}, el("label", { class: "choice" }, el("input", { type: "checkbox", name: "gps" }), ` ${T.use_gps}`))
    );
    return nodes;
  }

  function readAnswers(form, action, prefix) {
    const answers = {};
    for (const q of action.survey) {
      const name = `${prefix}-q-${q.id}`;
      if (q.type === "text") {
        const v = form.elements[name].value.trim();
        if (v) answers[q.id] = v;
      } else if (q.type === "multiple") {
        const v = [...form.querySelectorAll(`input[name="${name}"]:checked`)].map((i) => i.value);
        if (v.length) answers[q.id] = v;
      } else {
        const checked = form.querySelector(`input[name="${name}"]:checked`);
        if (checked) {
          answers[q.id] = q.type === "yes_no" ? checked.value === "true" : q.type === "scale" ? Number(checked.value) : checked.value;
        }
      }
    }
    return answers;
  }

  function position() {
    return new Promise((resolve) => {
      if (!navigator.geolocation) return resolve(null);
      navigator.geolocation.getCurrentPosition(
        (p) => resolve({ longitude: p.coords.longitude, latitude: p.coords.latitude }),
        () => resolve(null),
        { timeout: 5000, maximumAge: 60000 }
      );
    });
  }

  // `label` says on this phone which door or call a report was ("12 rue des Lilas — 3e
  // gauche"), should the server refuse it.
  async function saveReport(form, action, prefix, fields, label) {
    const result = form.querySelector(`input[name="${prefix}-result"]:checked`);
    if (!result) return false;
    const report = {
      uuid: newUuid(),
      action: action.id,
      result: result.value,
      // An answer belongs to someone met: none for an absent household.
      answers: metWith(action, result.value) ? readAnswers(form, action, prefix) : {},
      notes: form.elements.notes.value.trim(),
      done_at: new Date().toISOString(),
      ...fields,
    };
    if (form.elements.leaflets) report.leaflets = Math.max(0, parseInt(form.elements.leaflets.value, 10) || 0);
    if (form.elements.gps.checked) {
      const where = await position();
      if (where) report.location = where;
    }
    await put("outbox", { uuid: report.uuid, done_at: report.done_at, report, label: label || action.name });
    await updateStatus();
    sync();
    return report;
  }

  // ---- someone met who is not on the walk list ----
  // Moved in last month, a flatmate: typed in at the door, they become a contact of
  // this household once the team has reviewed the day's reports.
  const CHANNELS = ["sms", "email", "phone"];

  function newPersonBlock() {
    const field = (id, label, name, type, extra = {}) =>
      el("p", {}, el("label", { for: id, text: label }),
         el("input", { id, name, type, maxlength: "120", autocomplete: "off", ...extra }));
    return el(
      "details",
      { class: "new-person" },
      el("summary", { text: T.new_person }),
      el("p", { class: "muted", text: T.new_person_help }),
      field("door-np-first", T.first_names, "np_first", "text"),
      field("door-np-last", T.last_name, "np_last", "text"),
      field("door-np-phone", T.phone, "np_phone", "tel", { inputmode: "tel" }),
      field("door-np-email", T.email, "np_email", "email"),
      el("fieldset", { class: "consents" }, el("legend", { text: T.agrees_to }),
         ...CHANNELS.map((c) => el("label", { class: "choice" },
           el("input", { type: "checkbox", name: "np_consent", value: c }), ` ${T["consent_" + c]}`)))
    );
  }

  // The person typed in, or null when the block was left empty.
  function readNewPerson(form) {
    const value = (name) => form.elements[name].value.trim();
    const person = {
      first_names: value("np_first"), last_name: value("np_last"), phone: value("np_phone"), email: value("np_email"),
      consents: [...form.querySelectorAll("input[name='np_consent']:checked")].map((i) => i.value),
    };
    const typed = person.first_names || person.last_name || person.phone || person.email || person.consents.length;
    return typed ? person : null;
  }

  // What the server would refuse, said before the report is queued (offline, a refusal
  // would only come back later).
  function newPersonProblem(person, action, result) {
    if (!person.first_names && !person.last_name) return T.np_name_needed;
    if (!result || !metWith(action, result)) return T.np_not_met;
    if (person.consents.some((c) => c !== "email") && !person.phone) return T.np_phone_needed;
    const digits = person.phone.replace(/\D/g, "").length;
    if (person.phone && (digits < 9 || digits > 15)) return T.np_phone_invalid;
    if (person.consents.includes("email") && !person.email) return T.np_email_needed;
    return null;
  }

  function openDoor(a, building, door) {
    const action = a.action_detail;
    const section = document.getElementById("door");
    const people = door.people;
    const who = people.length > 1
      ? el("p", {}, el("label", { for: "door-person", text: T.household }),
           el("select", { id: "door-person", name: "person" },
              ...people.map((p) => el("option", { value: p.id, text: `${p.first_names} ${p.last_name}` }))))
      : null;
    const problems = el("p", { class: "errors", role: "alert" });
    const form = el(
      "form",
      {
        class: "form report",
        onsubmit: async (event) => {
          event.preventDefault();
          const person = readNewPerson(form);
          const chosen = form.querySelector("input[name='door-result']:checked");
          const problem = person && newPersonProblem(person, action, chosen && chosen.value);
          problems.textContent = problem || "";
          if (problem) return;
          // A report is about the person met: the new one when there is one.
          const contact = person ? null
            : people.length > 1 ? Number(form.elements.person.value) : people.length ? people[0].id : null;
          const report = await saveReport(form, action, "door", {
            turf: a.turf, address: building.address, household: door.household, contact,
            ...(person ? { new_person: person } : {}),
          }, [building.line1, door.label].filter(Boolean).join(" — "));
          if (!report) return;
          door.done = { result: report.result, at: report.done_at };
          await put("assignments", a);
          openTurf(a);
        },
      },
      who,
      ...resultAndSurvey(action, "door"),
      newPersonBlock(),
      problems,
      el("button", { type: "submit", text: T.save }),
      el("button", { type: "button", onclick: () => openTurf(a), text: T.cancel })
    );
    section.replaceChildren(
      el("h2", { id: "door-title", text: [building.line1, door.label].filter(Boolean).join(" — ") }),
      form
    );
    show("door");
  }

  // ---- phone banking ----
  function openPhone(a) {
    const action = a.action_detail;
    const section = document.getElementById("phone");
    const slot = el("div", { id: "call" });
    section.replaceChildren(
      el("button", { type: "button", class: "back", onclick: () => show("assignments"), text: `← ${T.back}` }),
      el("h2", { id: "phone-title", text: action.name }),
      scriptBlock(action),
      el("button", { type: "button", onclick: () => nextCall(a, slot), text: T.next_call }),
      slot
    );
    show("phone");
  }

  async function nextCall(a, slot) {
    const action = a.action_detail;
    if (!navigator.onLine) {
      slot.replaceChildren(el("p", { role: "alert", text: T.online_needed }));
      return;
    }
    // The call just saved must reach the server first: asking for the next person
    // hands back to the list whoever this caller holds without a report yet.
    await sendPending();
    const response = await api(`${main.dataset.apiActions}${action.id}/next-call/`, { method: "POST" });
    if (response.status === 204) {
      slot.replaceChildren(el("p", { text: T.call_done }));
      return;
    }
    if (!response.ok) return;
    const { contact } = await response.json();
    const form = el(
      "form",
      {
        class: "form report",
        onsubmit: async (event) => {
          event.preventDefault();
          const who = `${contact.first_names} ${contact.last_name}`.trim();
          if (await saveReport(form, action, "call", { contact: contact.id }, `${action.name} — ${who}`)) {
            slot.replaceChildren();
          }
        },
      },
      ...resultAndSurvey(action, "call"),
      el("button", { type: "submit", text: T.save })
    );
    slot.replaceChildren(
      el("h3", { text: `${contact.first_names} ${contact.last_name}` }),
      el("p", {}, el("a", { href: `tel:${contact.phone}`, class: "call", text: `${T.call} ${contact.phone_display || contact.phone}` })),
      form
    );
  }

  // ---- leafleting along streets: draw the route covered ----
  function openRoute(a) {
    const action = a.action_detail;
    const section = document.getElementById("route");
    const mapBox = el("div", { id: "route-map", class: "map small", role: "region", "aria-label": T.route_map });
    const count = el("span", { id: "route-count", text: "0" });
    const points = [];
    const form = el(
      "form",
      {
        class: "form report",
        onsubmit: async (event) => {
          event.preventDefault();
          const errors = form.querySelector(".errors");
          const area = shape.value === "area";
          if (points.length < (area ? 3 : 2)) {
            errors.textContent = area ? T.area_too_small : T.route_too_short;
            return;
          }
          const ring = points.map((p) => [p.lng, p.lat]);
          // A line for streets walked, a polygon for a block whose letterboxes were all done.
          const covered = area
            ? { type: "Polygon", coordinates: [[...ring, ring[0]]] }
            : { type: "LineString", coordinates: ring };
          if (await saveReport(form, action, "route", { covered })) {
            points.length = 0;
            drawing.setLatLngs([]);
            count.textContent = "0";
            errors.textContent = "";
          }
        },
      },
      ...resultAndSurvey(action, "route"),
      el("p", { class: "errors", role: "alert" }),
      el("button", { type: "submit", text: T.save })
    );
    const shape = el("select", { id: "route-shape", name: "shape" },
      el("option", { value: "line", text: T.shape_line }), el("option", { value: "area", text: T.shape_area }));
    section.replaceChildren(
      el("button", { type: "button", class: "back", onclick: () => show("assignments"), text: `← ${T.back}` }),
      el("h2", { id: "route-title", text: action.name }),
      scriptBlock(action),
      el("p", { text: T.route_help }),
      el("p", {}, el("label", { for: "route-shape", text: T.shape }), shape),
      mapBox,
      el("p", {}, count, ` ${T.route_points} `,
         el("button", { type: "button", onclick: () => { points.pop(); drawing.setLatLngs(points); count.textContent = String(points.length); }, text: T.undo })),
      form
    );
    show("route");
    const map = L.map(mapBox);
    if (main.dataset.tiles) L.tileLayer(main.dataset.tiles, { attribution: main.dataset.attribution, maxZoom: 19 }).addTo(map);
    const e = a.extent || [-5, 41, 10, 51];
    map.fitBounds([[e[1], e[0]], [e[3], e[2]]]);
    // Not interactive: a tap inside the shape being drawn adds a point too.
    let drawing = L.polyline([], { weight: 5, interactive: false }).addTo(map);
    shape.onchange = () => {
      map.removeLayer(drawing);
      const options = { weight: shape.value === "area" ? 3 : 5, interactive: false };
      drawing = (shape.value === "area" ? L.polygon(points, options) : L.polyline(points, options)).addTo(map);
    };
    map.on("click", (event) => {
      points.push(event.latlng);
      drawing.setLatLngs(points);
      count.textContent = String(points.length);
    });
  }

  // ---- start ----
  async function start() {
    db = await openDb();
    if ("serviceWorker" in navigator) navigator.serviceWorker.register(main.dataset.sw).catch(() => {});
    window.addEventListener("online", () => {
      retryDelay = 2000;
      sync();
      refreshAssignments();
    });
    window.addEventListener("offline", updateStatus);
    setInterval(sync, 30000);
    await updateStatus();
    await refreshAssignments();
    main.dataset.ready = "true";
    sync();
  }

  start();
})();
