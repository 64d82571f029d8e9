// Live figures: a printed figure recomputed in the page when its controls
// move, by the book's own Rust code compiled to WebAssembly
// (tools/live-figures, built by `cargo book` into live-module.js).
//
// Works from disk (file://) with no network: the module is embedded in a
// script as base64 (a page opened from disk may not fetch files), loaded
// only when a reader first scrolls to a live figure, and run in a Web Worker
// made from a Blob, so a long computation never freezes the page. Without
// JavaScript, the controls stay hidden and the printed figure stays.
(function () {
    "use strict";

    var blocks = Array.prototype.slice.call(document.querySelectorAll("div.live[data-live]"));
    if (!blocks.length || /\/print\.html$/.test(window.location.pathname)) {
        return;
    }
    if (typeof Worker === "undefined" || typeof WebAssembly === "undefined") {
        return;
    }
    var root = typeof path_to_root === "string" ? path_to_root : "";

    // The worker: instantiates the module with the few WASI functions the
    // Rust standard library asks for, and answers draw requests in order.
    function workerMain() {
        var instance = null;
        var module = null;
        var memory = null;
        var stderr = "";
        var current = 0;
        var lastProgress = 0;
        var encoder = new TextEncoder();
        var decoder = new TextDecoder();
        var ENOSYS = 52;
        var wasi = {
            fd_write: function (fd, iovs, count, written) {
                var view = new DataView(memory.buffer);
                var total = 0;
                for (var i = 0; i < count; i++) {
                    var ptr = view.getUint32(iovs + 8 * i, true);
                    var len = view.getUint32(iovs + 8 * i + 4, true);
                    stderr += decoder.decode(new Uint8Array(memory.buffer, ptr, len));
                    total += len;
                }
                view.setUint32(written, total, true);
                return 0;
            },
            environ_sizes_get: function (count, size) {
                var view = new DataView(memory.buffer);
                view.setUint32(count, 0, true);
                view.setUint32(size, 0, true);
                return 0;
            },
            environ_get: function () {
                return 0;
            },
            proc_exit: function (code) {
                throw new Error("the module exited with status " + code);
            },
        };
        var imports = {
            wasi_snapshot_preview1: new Proxy(wasi, {
                get: function (target, name) {
                    return target[name] || function () {
                        return ENOSYS;
                    };
                },
            }),
            live: {
                progress: function (done, total) {
                    var now = Date.now();
                    if (now - lastProgress > 100 || done === total) {
                        lastProgress = now;
                        self.postMessage({ id: current, progress: [done, total] });
                    }
                },
            },
        };
        var failed = "";
        function start() {
            try {
                instance = new WebAssembly.Instance(module, imports);
                memory = instance.exports.memory;
            } catch (e) {
                instance = null;
                failed = "the live figures' module did not start: " + e.message;
            }
        }
        self.onmessage = function (event) {
            var m = event.data;
            if (m.bytes) {
                try {
                    module = new WebAssembly.Module(m.bytes);
                    start();
                } catch (e) {
                    failed = "the live figures' module did not load: " + e.message;
                }
                return;
            }
            if (!instance) {
                self.postMessage({ id: m.id, answer: { error: failed || "the live figures' module did not start" } });
                return;
            }
            current = m.id;
            stderr = "";
            var t0 = performance.now();
            var answer;
            try {
                var request = encoder.encode(m.request);
                var at = instance.exports.live_alloc(request.length);
                new Uint8Array(memory.buffer, at, request.length).set(request);
                var len = instance.exports.live_draw(request.length);
                var ptr = instance.exports.live_answer();
                answer = JSON.parse(decoder.decode(new Uint8Array(memory.buffer, ptr, len)));
            } catch (e) {
                answer = { error: "the computation stopped: " + (stderr.trim() || e.message) };
                start(); // a trapped instance cannot be used again
            }
            answer.ms = performance.now() - t0;
            self.postMessage({ id: m.id, answer: answer });
        };
    }

    // Whether the browser has WebAssembly's relaxed SIMD (a module holding
    // one f64x2.relaxed_madd validates): then the build that uses its fused
    // multiply-add, about ten times as fast, loads instead.
    function relaxedSimd() {
        var probe = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 8, 1, 96, 3, 123, 123, 123, 1, 123,
            3, 2, 1, 0, 10, 13, 1, 11, 0, 32, 0, 32, 1, 32, 2, 253, 135, 2, 11]);
        try {
            return WebAssembly.validate(probe);
        } catch (e) {
            return false;
        }
    }

    var engine = null;
    // Loads the embedded module (once) and starts the worker.
    function loadEngine() {
        if (engine) {
            return engine;
        }
        engine = new Promise(function (resolve, reject) {
            var script = document.createElement("script");
            script.src = root + (relaxedSimd() ? "live-module-relaxed.js" : "live-module.js");
            script.onload = function () {
                var text = atob(window.liveModuleBase64 || "");
                delete window.liveModuleBase64;
                var bytes = new Uint8Array(text.length);
                for (var i = 0; i < text.length; i++) {
                    bytes[i] = text.charCodeAt(i);
                }
                var source = "(" + workerMain.toString() + ")();";
                var url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
                var worker = new Worker(url);
                worker.postMessage({ bytes: bytes.buffer }, [bytes.buffer]);
                resolve(worker);
            };
            script.onerror = function () {
                reject(new Error("cannot load " + script.src + " (run `cargo book` to build it)"));
            };
            document.head.appendChild(script);
        });
        var pending = {};
        var nextId = 1;
        engine.request = function (text, onProgress) {
            return engine.then(function (worker) {
                if (!worker.onmessage) {
                    // A worker that fails answers every waiting request
                    // with the error, so no figure waits for ever.
                    worker.onerror = function (event) {
                        event.preventDefault();
                        Object.keys(pending).forEach(function (id) {
                            var p = pending[id];
                            delete pending[id];
                            p.resolve({ error: "the computation stopped: " + (event.message || "worker error") });
                        });
                    };
                    worker.onmessage = function (event) {
                        var m = event.data;
                        var p = pending[m.id];
                        if (!p) {
                            return;
                        }
                        if (m.progress) {
                            p.progress(m.progress[0], m.progress[1]);
                        } else {
                            delete pending[m.id];
                            p.resolve(m.answer);
                        }
                    };
                }
                return new Promise(function (resolve) {
                    var id = nextId++;
                    pending[id] = { resolve: resolve, progress: onProgress };
                    worker.postMessage({ id: id, request: text });
                });
            });
        };
        return engine;
    }

    function setUp(block) {
        var name = block.getAttribute("data-live");
        var img = document.querySelector('img[src$="' + block.getAttribute("data-figure") + '"]');
        var inputs = Array.prototype.slice.call(block.querySelectorAll("[data-flag]"));
        var status = block.querySelector(".live-status");
        var progress = block.querySelector(".live-progress");
        var command = block.querySelector(".live-command code");
        var table = block.querySelector(".live-table");
        var busy = false;
        var again = false;
        var url = null;
        var last = null; // the last request sent
        block.liveDraws = 0;
        block.hidden = false;

        function request() {
            return name + "\n" + inputs.map(function (input) {
                return input.getAttribute("data-flag") + "=" + input.value;
            }).join("\n");
        }

        // Draws the figure for the controls' values; `force` redraws even if
        // they are what was last drawn (a select or a slider's arrow key
        // fires both "input" and "change").
        function draw(force) {
            if (busy) {
                again = true;
                return;
            }
            var text = request();
            if (text === last && force !== true) {
                return;
            }
            last = text;
            busy = true;
            again = false;
            block.setAttribute("data-state", "busy");
            var started = Date.now();
            var share = "";
            var show = function () {
                var seconds = Math.floor((Date.now() - started) / 1000);
                progress.textContent = "computing…" + share + (seconds > 0 ? " " + seconds + " s" : "");
            };
            status.textContent = "";
            show();
            var clock = setInterval(show, 500);
            loadEngine().request(text, function (done, total) {
                share = " " + Math.round((100 * done) / Math.max(total, 1)) + "%";
                show();
            }).then(function (answer) {
                clearInterval(clock);
                progress.textContent = "";
                busy = false;
                block.liveAnswer = answer;
                block.liveDraws += 1;
                if (answer.error) {
                    // The figure and numbers on show are not for these settings.
                    block.setAttribute("data-state", "error");
                    status.textContent = answer.error;
                    if (img) {
                        img.classList.add("live-stale");
                    }
                    command.textContent = "(no figure for these settings)";
                    table.innerHTML = "";
                    last = null;
                } else {
                    if (img) {
                        img.classList.remove("live-stale");
                    }
                    if (url) {
                        URL.revokeObjectURL(url);
                    }
                    url = URL.createObjectURL(new Blob([answer.svg], { type: "image/svg+xml" }));
                    if (img) {
                        img.src = url;
                    }
                    command.textContent = answer.command;
                    table.innerHTML = answer.table;
                    block.setAttribute("data-state", "drawn");
                    status.textContent = "drawn in " + Math.round(answer.ms) + " ms";
                }
                if (again) {
                    draw();
                }
            }, function (e) {
                clearInterval(clock);
                progress.textContent = "";
                busy = false;
                last = null;
                block.setAttribute("data-state", "error");
                status.textContent = e.message;
                if (again) {
                    draw();
                }
            });
        }

        inputs.forEach(function (input) {
            var output = input.parentNode.querySelector("output");
            input.addEventListener("input", function () {
                if (output) {
                    output.textContent = input.value;
                }
                if (input.type === "range") {
                    draw();
                }
            });
            input.addEventListener("change", draw);
        });
        block.querySelector(".live-reset").addEventListener("click", function () {
            inputs.forEach(function (input) {
                input.value = input.getAttribute("data-book");
                var output = input.parentNode.querySelector("output");
                if (output) {
                    output.textContent = input.value;
                }
            });
            draw(true);
        });
        block.liveDraw = draw;
    }

    blocks.forEach(setUp);
    // The module loads when a reader first comes near a live figure.
    if ("IntersectionObserver" in window) {
        var observer = new IntersectionObserver(function (entries) {
            if (entries.some(function (e) { return e.isIntersecting; })) {
                observer.disconnect();
                loadEngine();
            }
        }, { rootMargin: "400px" });
        blocks.forEach(function (b) { observer.observe(b); });
    }
})();
