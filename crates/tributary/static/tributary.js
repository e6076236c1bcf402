// Tributary's page script. Progressive enhancement only: every page works without it.
//
// - Avatars whose image fails to load show their initials instead.
// - Times are shown in the reader's time zone.
// - The inbox filter applies as soon as it changes.
// - Composers send with Enter (Shift+Enter for a new line) without leaving the page.
// - Flow and thread pages follow the Streaming API (EventSource, the session cookie
//   authenticates it) and merge what changed. The server renders every changed line and
//   card (GET .../live), so this script never builds markup from message data.
(function () {
  "use strict";

  function fallback(img) {
    var span = document.createElement("span");
    span.className = "avatar tone-" + (img.getAttribute("data-tone") || "0");
    span.setAttribute("aria-hidden", "true");
    span.textContent = img.getAttribute("data-initials") || "?";
    img.replaceWith(span);
  }

  document.addEventListener("error", function (e) {
    var t = e.target;
    if (t && t.tagName === "IMG" && t.hasAttribute("data-initials")) {
      fallback(t);
    }
  }, true);

  function fixAvatars(root) {
    root.querySelectorAll("img[data-initials]").forEach(function (img) {
      if (img.complete && img.naturalWidth === 0) {
        fallback(img);
      }
    });
  }

  function localTimes(root) {
    var today = new Date().toDateString();
    root.querySelectorAll("time[datetime]").forEach(function (t) {
      var d = new Date(t.getAttribute("datetime"));
      if (isNaN(d.getTime())) {
        return;
      }
      t.title = d.toLocaleString();
      if (t.hasAttribute("data-date")) {
        t.textContent = d.toLocaleDateString();
      } else if (d.toDateString() === today) {
        t.textContent = d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
      } else {
        t.textContent = d.toLocaleDateString([], { month: "short", day: "numeric" }) + " " +
          d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
      }
    });
  }

  function enhance(root) {
    fixAvatars(root);
    localTimes(root);
    enableActions(root);
  }

  // ---- Thread actions -----------------------------------------------------------------
  // UpdateAction buttons post to the server, which calls the integration; they need this
  // script, so they stay disabled without it. The answer is shown beside the buttons: done,
  // a link where the integration asks the user to authenticate, or the error.

  function enableActions(root) {
    root.querySelectorAll("button[data-action-url]").forEach(function (b) {
      b.disabled = false;
    });
  }

  function showActionResult(out, result) {
    out.textContent = "";
    out.setAttribute("data-outcome", result.outcome || "error");
    var url = result.authenticate_url;
    if (result.outcome === "authenticate" && url && /^https?:\/\//i.test(url)) {
      out.appendChild(document.createTextNode((result.message || "") + " "));
      var link = document.createElement("a");
      link.href = url;
      link.target = "_blank";
      link.rel = "noopener noreferrer";
      link.className = "action-authenticate";
      link.textContent = "Authenticate";
      out.appendChild(link);
    } else {
      out.textContent = result.message || "The action failed.";
    }
    out.hidden = false;
  }

  document.addEventListener("click", function (e) {
    var button = e.target.closest ? e.target.closest("button[data-action-url]") : null;
    if (!button) {
      return;
    }
    e.preventDefault();
    var out = button.parentElement.querySelector(".action-result");
    var token = document.querySelector("input[name=csrf_token]");
    button.disabled = true;
    fetch(button.getAttribute("data-action-url"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRF-Token": token ? token.value : "", "X-Requested-With": "fetch" }
    })
      .then(function (r) { return r.json(); })
      .then(function (result) { showActionResult(out, result); })
      .catch(function () { showActionResult(out, { outcome: "error" }); })
      .finally(function () { button.disabled = false; });
  });

  // ---- Live updates -------------------------------------------------------------------

  var live = document.getElementById("live-root");
  var pending = { messages: new Set(), threads: new Set() };
  var busy = false;

  function scroller(list) {
    return list.closest(".pane, .thread-view") || document.scrollingElement;
  }

  function nearBottom(list) {
    var box = scroller(list);
    return box.scrollHeight - box.scrollTop - box.clientHeight < 120;
  }

  function scrollDown(list) {
    var box = scroller(list);
    box.scrollTop = box.scrollHeight;
  }

  // Inserts or replaces a line, keeping the list in message id order.
  function upsertLine(list, node) {
    var old = document.getElementById(node.id);
    if (old) {
      old.replaceWith(node);
      return;
    }
    var id = Number(node.getAttribute("data-id"));
    var follow = nearBottom(list);
    var items = list.children;
    for (var i = items.length - 1; i >= 0; i--) {
      if (Number(items[i].getAttribute("data-id")) < id) {
        items[i].after(node);
        if (follow) {
          scrollDown(list);
        }
        return;
      }
    }
    list.prepend(node);
  }

  // Replaces a thread card where it stands, or puts a new one on top of the inbox.
  function upsertCard(node) {
    var old = document.getElementById(node.id);
    if (!document.getElementById("thread-state")) {
      // Inbox cards flash once when they change; the thread view's own card does not.
      node.classList.add("updated");
      node.addEventListener("animationend", function () {
        node.classList.remove("updated");
      });
    }
    if (old) {
      old.replaceWith(node);
      return;
    }
    var inbox = document.getElementById("inbox-threads");
    if (inbox) {
      inbox.prepend(node);
      var empty = document.getElementById("inbox-empty");
      if (empty) {
        empty.hidden = true;
      }
    }
  }

  function merge(html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var chat = document.getElementById("chat-messages");
    var items = document.getElementById("thread-items");
    doc.querySelectorAll("[data-kind=chat] > li").forEach(function (li) {
      if (chat) {
        var node = document.importNode(li, true);
        upsertLine(chat, node);
        enhance(node);
        var empty = document.getElementById("chat-empty");
        if (empty) {
          empty.hidden = true;
        }
      }
    });
    doc.querySelectorAll("[data-kind=items] > li").forEach(function (li) {
      if (items) {
        var node = document.importNode(li, true);
        upsertLine(items, node);
        enhance(node);
      }
    });
    doc.querySelectorAll("[data-kind=cards] > article").forEach(function (card) {
      var node = document.importNode(card, true);
      upsertCard(node);
      enhance(node);
    });
    doc.querySelectorAll("[data-kind=gone] > li").forEach(function (li) {
      var old = document.getElementById("message-" + li.getAttribute("data-id"));
      if (old) {
        old.remove();
      }
    });
  }

  function drain() {
    if (busy || (!pending.messages.size && !pending.threads.size)) {
      return;
    }
    busy = true;
    var q = new URLSearchParams();
    var m = Array.from(pending.messages).slice(0, 100);
    var t = Array.from(pending.threads).slice(0, 100);
    m.forEach(function (x) { pending.messages.delete(x); });
    t.forEach(function (x) { pending.threads.delete(x); });
    if (m.length) {
      q.set("messages", m.join(","));
    }
    if (t.length) {
      q.set("threads", t.join(","));
    }
    q.set("view", live.getAttribute("data-view"));
    if (live.getAttribute("data-thread")) {
      q.set("thread", live.getAttribute("data-thread"));
    }
    if (live.getAttribute("data-filter")) {
      q.set("filter", live.getAttribute("data-filter"));
    }
    var retry = false;
    fetch(live.getAttribute("data-live") + "?" + q.toString(), { credentials: "same-origin" })
      .then(function (r) {
        if (!r.ok) {
          retry = r.status >= 500;
          throw new Error("live " + r.status);
        }
        return r.text();
      })
      .then(merge)
      .catch(function () {
        if (retry) {
          m.forEach(function (x) { pending.messages.add(x); });
          t.forEach(function (x) { pending.threads.add(x); });
        }
      })
      .finally(function () {
        busy = false;
        if (retry) {
          setTimeout(drain, 2000);
        } else {
          drain();
        }
      });
  }

  function want(kind, id) {
    if (id !== undefined && id !== null) {
      pending[kind].add(String(id));
      drain();
    }
  }

  var CHAT = ["message", "comment", "status", "file"];
  var CHANGES = ["message-edit", "tag-change", "message-delete"];

  function onMessage(m) {
    var view = live.getAttribute("data-view");
    var thread = live.getAttribute("data-thread");
    if (CHANGES.indexOf(m.event) >= 0) {
      var target = m.content && m.content.message;
      if (target && document.getElementById("message-" + target)) {
        want("messages", target);
      }
      if (view === "thread") {
        want("threads", thread);
      }
      return;
    }
    if (view === "thread") {
      if (m.thread_id === thread) {
        want("messages", m.id);
        want("threads", thread);
      }
      return;
    }
    if (CHAT.indexOf(m.event) >= 0) {
      want("messages", m.id);
    }
    if (m.thread_id && m.thread && m.thread.source) {
      want("threads", m.thread_id);
    }
  }

  function connect() {
    // The stream replays what was committed after the page was rendered; on a reconnect
    // EventSource sends Last-Event-ID itself, which the server prefers.
    var url = live.getAttribute("data-stream") + "?last_event_id=" +
      encodeURIComponent(live.getAttribute("data-cursor") || "0");
    var source = new EventSource(url);
    source.onopen = function () {
      live.setAttribute("data-live-state", "open");
    };
    source.onmessage = function (e) {
      var m;
      try {
        m = JSON.parse(e.data);
      } catch (err) {
        return;
      }
      onMessage(m);
    };
    source.onerror = function () {
      live.setAttribute("data-live-state", "reconnecting");
    };
  }

  // ---- Forms --------------------------------------------------------------------------

  function errorText(html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var el = doc.getElementById("error-message");
    return el ? el.textContent : "The message could not be sent.";
  }

  function enhanceComposer(form) {
    var input = form.querySelector("textarea");
    var button = form.querySelector("button[type=submit]");
    var error = form.querySelector(".composer-error");
    input.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        form.requestSubmit();
      }
    });
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      if (!input.value.trim()) {
        return;
      }
      button.disabled = true;
      error.hidden = true;
      var body = new URLSearchParams(new FormData(form));
      fetch(form.action, {
        method: "POST",
        body: body,
        credentials: "same-origin",
        headers: { "X-Requested-With": "fetch" }
      })
        .then(function (r) {
          if (r.ok) {
            return r.json();
          }
          return r.text().then(function (t) { throw new Error(errorText(t)); });
        })
        .then(function (j) {
          input.value = "";
          if (live) {
            want("messages", j.id);
          } else {
            window.location.reload();
          }
        })
        .catch(function (err) {
          error.textContent = err.message;
          error.hidden = false;
        })
        .finally(function () {
          button.disabled = false;
          input.focus();
        });
    });
  }

  document.querySelectorAll("form[data-enhance=post]").forEach(enhanceComposer);
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () {
      select.form.submit();
    });
  });

  enhance(document);
  var chat = document.getElementById("chat-messages");
  if (chat) {
    scrollDown(chat);
  }
  if (live && window.EventSource) {
    connect();
  }
})();
