// Small additions to mdBook's pages; everything works without them.
(function () {
    "use strict";

    // The copy button of a console block copies commands a shell can run:
    // without the "$ " prompts and the trailing "# ..." comments (zsh, by
    // default, does not read "#" as a comment on the command line).
    var copiedText = window.playground_text;
    if (typeof copiedText === "function") {
        window.playground_text = function (playground, hidden) {
            var text = copiedText(playground, hidden);
            var code = playground.querySelector("code");
            if (!code || !code.classList.contains("language-console")) {
                return text;
            }
            return text
                .split("\n")
                .map(function (line) {
                    return line.replace(/^\$ /, "").replace(/\s+#\s.*$/, "");
                })
                .join("\n");
        };
    }

    // Exercise solutions are folded on screen and unfolded on paper: open
    // every <details> before printing (and on the all-in-one print page,
    // which prints itself as soon as it loads).
    function openAll() {
        document.querySelectorAll("details").forEach(function (d) {
            d.open = true;
        });
    }
    window.addEventListener("beforeprint", openAll);
    if (/\/print\.html$/.test(window.location.pathname)) {
        openAll();
        tableOfContents();
    }

    // The all-in-one print page starts with a table of contents: every
    // chapter's title, linked to where it starts.
    function tableOfContents() {
        var main = document.querySelector("main");
        var titles = main ? main.querySelectorAll("h1[id]") : [];
        if (titles.length < 2) {
            return;
        }
        var nav = document.createElement("nav");
        nav.className = "print-toc";
        var heading = document.createElement("h2");
        heading.textContent = "Contents";
        var list = document.createElement("ol");
        titles.forEach(function (h) {
            var item = document.createElement("li");
            var link = document.createElement("a");
            link.href = "#" + h.id;
            link.textContent = h.textContent;
            item.appendChild(link);
            list.appendChild(item);
        });
        nav.appendChild(heading);
        nav.appendChild(list);
        main.insertBefore(nav, main.firstChild);
    }

    // A code line too long for the column wraps (book.css), and its
    // continuation hangs four characters under the line's own indentation
    // instead of starting at the margin. Each line becomes a block of its
    // own; the text, newlines included, stays exactly as it was, so the copy
    // button copies the same code.
    document.querySelectorAll("pre > code").forEach(hangWrappedLines);

    function hangWrappedLines(code) {
        var tokens = code.innerHTML.match(/<[^>]*>|[^<]+/g) || [];
        var open = []; // the tags open where a line ends, to close and reopen
        var html = "";
        var line = "";
        var text = ""; // the line's text, to measure its indentation
        var shown = false; // whether any of it is outside mdBook's hidden lines
        function endLine() {
            var indent = (text.match(/^ */) || [""])[0].length + 4;
            var closing = open.slice().reverse().map(function (tag) {
                return "</" + tag.match(/^<([A-Za-z0-9-]+)/)[1] + ">";
            }).join("");
            var kind = shown ? "code-line" : "code-line boring-line";
            html += '<span class="' + kind + '" style="padding-left: ' + indent +
                "ch; text-indent: -" + indent + 'ch">' + line + closing + "</span>";
            line = open.join("");
            text = "";
            shown = false;
        }
        function inBoring() {
            return open.some(function (tag) {
                return /class="[^"]*\bboring\b/.test(tag);
            });
        }
        tokens.forEach(function (token) {
            if (token.charAt(0) === "<") {
                if (token.charAt(1) === "/") {
                    open.pop();
                } else if (!/\/>$/.test(token)) {
                    open.push(token);
                }
                line += token;
                return;
            }
            var pieces = token.split("\n");
            pieces.forEach(function (piece, i) {
                line += piece;
                text += piece;
                if (piece !== "" && !inBoring()) {
                    shown = true;
                }
                if (i < pieces.length - 1) {
                    line += "\n";
                    endLine();
                }
            });
        });
        if (text !== "" || line !== open.join("")) {
            endLine();
        }
        code.innerHTML = html;
    }

    // Inline code and table headings break only at their spaces: a browser
    // would also break after a hyphen or a slash, leaving "cargo run --" on
    // one line and "example" on the next, or "Var(∂L/" over "∂z)". Each
    // space-separated word (up to 30 characters) goes in a span that does
    // not wrap; the text stays the same.
    document.querySelectorAll("code, main th").forEach(function (code) {
        if (code.closest("pre") || code.children.length > 0) {
            return;
        }
        var words = code.textContent.split(/( +)/);
        if (words.length < 2 && !/[-\/]/.test(code.textContent)) {
            return;
        }
        code.textContent = "";
        words.forEach(function (word) {
            // A word too long for a phone's line may still break.
            if (/^ +$/.test(word) || word === "" || word.length > 30) {
                code.appendChild(document.createTextNode(word));
            } else {
                var span = document.createElement("span");
                span.className = "code-word";
                span.textContent = word;
                code.appendChild(span);
            }
        });
    });

    // A click on a figure opens it on its own, at full size.
    document.querySelectorAll("figure img").forEach(function (img) {
        img.title = "Open the figure on its own";
        img.style.cursor = "zoom-in";
        img.addEventListener("click", function () {
            window.open(img.src, "_blank");
        });
    });

    // Numbers in tables never break across lines ("2.83e-" / "10", "0 of" /
    // "100"), nor do short cells ("xavier-" / "uniform"): cells that hold
    // only a number, a unit or a range, or up to 16 characters, or up to 28
    // with a digit among them, are marked for the style sheet. The browser
    // check uses the same rule.
    var numeric = /^[\s\d.,:;%‰+\-−–—×·⁰¹²³⁴⁵⁶⁷⁸⁹⁻e()\/≈<>=±µμsmx]+$/;
    document.querySelectorAll("table td").forEach(function (cell) {
        var text = cell.textContent.trim();
        var unbroken = text.length > 0 && (text.length <= 16 ||
            (text.length <= 28 && /\d/.test(text)) ||
            (text.length <= 40 && numeric.test(text)));
        if (unbroken) {
            cell.classList.add("number");
        }
    });
})();
