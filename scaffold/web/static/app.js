// The page's behaviour, in plain JavaScript (no build step): keeps the choices that fit
// the chosen stack, mirrors the form into the URL, and shows what the API renders.
"use strict";

const meta = JSON.parse(document.getElementById("metadata").textContent);
const form = document.getElementById("choice");
const errorBox = document.getElementById("error");
const commandBox = document.getElementById("command");
const statusBox = document.getElementById("status");
const summary = document.getElementById("summary");
const tree = document.getElementById("tree");
const viewer = document.getElementById("viewer");
const viewerPath = document.getElementById("viewer-path");
const download = document.getElementById("download");

const questions = Object.fromEntries(meta.questions.map((q) => [q.name, q]));
const stacks = Object.fromEntries(meta.stacks.map((s) => [s.name, s]));
const namingQuestions = meta.stacks.map((s) => s.naming_question);
let selectedPath = null;
let generation = 0; // answers from an older choice are dropped when they arrive late
let shownQuery = null; // the choice on screen: leaving a text field changes nothing else

const control = (name) => document.getElementById(`q-${name}`);

function setOptions(select, wanted) {
  // Only the choices that fit: rebuilt from the metadata, keeping the current one if it fits.
  const labels = Object.fromEntries(questions[select.name].choices.map((c) => [c.value, c.label]));
  const current = select.value;
  select.replaceChildren(
    ...wanted.map((value) => new Option(labels[value] ?? value, value, false, value === current)),
  );
  if (!wanted.includes(current)) select.value = wanted[0];
}

function fitChoices() {
  const stack = stacks[control("stack").value];
  setOptions(
    control("framework"),
    stack.frameworks.map((f) => f.name),
  );
  const framework = stack.frameworks.find((f) => f.name === control("framework").value);
  setOptions(control("architecture"), framework.architectures);
  for (const name of namingQuestions) {
    const field = document.querySelector(`[data-question="${name}"]`);
    if (!field) continue;
    const shown = name === stack.naming_question;
    field.hidden = !shown;
    control(name).disabled = !shown || questions[name].locked;
  }
}

const alwaysSent = ["stack", "framework", "architecture", "database", "cache", "ci"];

function query() {
  // The service's shape always; other answers only where they differ from a fixed
  // default, so links and commands stay short.
  const params = new URLSearchParams();
  for (const element of form.elements) {
    if (!element.name || element.disabled) continue;
    const q = questions[element.name];
    const value = element.value.trim() === "" ? "" : element.value;
    if (alwaysSent.includes(element.name)) params.set(element.name, value);
    else if (value !== "" && (q.computed || String(q.default) !== value)) {
      params.set(element.name, value);
    }
  }
  return params.toString();
}

function showError(error) {
  for (const element of form.querySelectorAll("[aria-invalid]")) {
    element.removeAttribute("aria-invalid");
  }
  if (!error) {
    errorBox.textContent = "";
    return;
  }
  errorBox.textContent = error.message;
  const culprit = error.field && control(error.field);
  if (culprit) culprit.setAttribute("aria-invalid", "true");
}

async function api(path, q) {
  const response = await fetch(`/api/v1/${path}${path.includes("?") ? "&" : "?"}${q}`);
  if (response.status === 503) {
    const wait = Number(response.headers.get("Retry-After") || "1");
    await new Promise((resolve) => setTimeout(resolve, wait * 1000));
    return api(path, q);
  }
  if (!response.ok) {
    const body = await response.json().catch(() => ({}));
    throw body.error || { message: `${response.status} ${response.statusText}` };
  }
  return response;
}

function renderTree(files) {
  // Folders as nested lists; each file is a button that opens it in the viewer.
  const root = { dirs: new Map(), files: [] };
  for (const file of files) {
    const parts = file.path.split("/");
    let node = root;
    for (const dir of parts.slice(0, -1)) {
      if (!node.dirs.has(dir)) node.dirs.set(dir, { dirs: new Map(), files: [] });
      node = node.dirs.get(dir);
    }
    node.files.push(file);
  }
  const list = (node) => {
    const ul = document.createElement("ul");
    for (const [name, child] of [...node.dirs].sort(([a], [b]) => a.localeCompare(b))) {
      const li = document.createElement("li");
      const label = document.createElement("span");
      label.className = "dir";
      label.textContent = `${name}/`;
      li.append(label, list(child));
      ul.append(li);
    }
    for (const file of node.files) {
      const li = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.className = "file";
      button.dataset.path = file.path;
      button.textContent = file.path.split("/").pop();
      button.title = `${file.path}, ${file.size} bytes`;
      if (file.path === selectedPath) button.setAttribute("aria-current", "true");
      button.addEventListener("click", () => openFile(file.path));
      const size = document.createElement("span");
      size.className = "size";
      size.textContent = `${file.size} B`;
      li.append(button, " ", size);
      ul.append(li);
    }
    return ul;
  };
  tree.replaceChildren(list(root));
}

async function openFile(path) {
  selectedPath = path;
  for (const button of tree.querySelectorAll("button.file")) {
    if (button.dataset.path === path) button.setAttribute("aria-current", "true");
    else button.removeAttribute("aria-current");
  }
  const mine = generation;
  const q = query();
  try {
    const response = await api(`preview/file?path=${encodeURIComponent(path)}`, q);
    const text = await response.text();
    if (mine !== generation) return;
    viewerPath.textContent = path;
    viewer.textContent = text;
  } catch (error) {
    if (mine === generation) showError(error);
  }
}

async function refresh() {
  const q = query();
  if (q === shownQuery) return;
  shownQuery = q;
  const mine = ++generation;
  history.replaceState(null, "", q ? `?${q}` : location.pathname);
  download.href = `/api/v1/project.zip?${q}`;
  summary.textContent = "Rendering…";
  form.setAttribute("aria-busy", "true");
  try {
    const preview = await (await api("preview", q)).json();
    const command = await (await api("command", q)).json();
    if (mine !== generation) return;
    showError(null);
    download.removeAttribute("aria-disabled");
    download.setAttribute("download", `${preview.project_slug}.zip`);
    commandBox.textContent = command.command;
    summary.textContent = `${preview.files.length} files in ${preview.project_slug}/`;
    const paths = preview.files.map((f) => f.path);
    if (!paths.includes(selectedPath)) selectedPath = paths.includes("README.md") ? "README.md" : paths[0];
    renderTree(preview.files);
    await openFile(selectedPath);
  } catch (error) {
    if (mine !== generation) return;
    showError(error);
    shownQuery = null;
    summary.textContent = "Nothing rendered: fix the answer above.";
    download.setAttribute("aria-disabled", "true");
  } finally {
    if (mine === generation) form.removeAttribute("aria-busy");
  }
}

let typing = null;
form.addEventListener("change", (event) => {
  if (["stack", "framework"].includes(event.target.name)) fitChoices();
  clearTimeout(typing);
  refresh();
});
form.addEventListener("input", (event) => {
  if (event.target.tagName === "SELECT") return;
  clearTimeout(typing);
  typing = setTimeout(refresh, 400);
});
form.addEventListener("submit", (event) => {
  event.preventDefault();
  refresh();
});
download.addEventListener("click", (event) => {
  if (download.getAttribute("aria-disabled") === "true") event.preventDefault();
});

document.getElementById("copy").addEventListener("click", async () => {
  const text = commandBox.textContent;
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    // Without the clipboard API (plain http on another host): select it for Ctrl+C.
    const range = document.createRange();
    range.selectNodeContents(commandBox);
    getSelection().removeAllRanges();
    getSelection().addRange(range);
    statusBox.textContent = "Selected: press Ctrl+C to copy.";
    return;
  }
  statusBox.textContent = "Copied.";
});

fitChoices();
refresh();
