#!/usr/bin/env python3
"""A deterministic stand-in for a coding agent, used by the eval and evolve tests.

Usage: scripted_agent.py PROMPT SKILL_DIR

It understands prompts of the form "write TEXT to FILE" and follows a tiny rule language
found anywhere in the installed skill's files (so a skill can help, or hurt):
  - "Files must end with the line 'X'"   -> appends X as the last line
  - "Write everything in uppercase"      -> upper-cases the content (a harmful rule)
  - "Sleep forever"                      -> hangs (to test timeouts)
  - "Crash"                              -> exits 3 without writing
"""

import re
import sys
import time
from pathlib import Path

prompt, skill_dir = sys.argv[1], Path(sys.argv[2])
rules = "\n".join(p.read_text() for p in sorted(skill_dir.rglob("*.md"))) if skill_dir.is_dir() else ""

match = re.search(r"write (.+) to (\S+)", prompt)
if not match:
    print("I do not understand the task")
    sys.exit(2)
text, filename = match.group(1), match.group(2)
if "Sleep forever" in rules:
    time.sleep(3600)
if "Crash" in rules.split():
    sys.exit(3)
content = text
if "Write everything in uppercase" in rules:
    content = content.upper()
for line in re.findall(r"Files must end with the line '([^']+)'", rules):
    content += "\n" + line
Path(filename).write_text(content + "\n")
print(f"wrote {filename}")
