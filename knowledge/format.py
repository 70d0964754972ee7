"""Turn a procedure into the one-time notification (一次性告知): everything in one message."""

from __future__ import annotations

from knowledge.model import Material, Procedure

_LABELS = {
    "zh": {
        "materials": "所需材料",
        "none": "无需提交材料",
        "steps": "办理流程",
        "time_limit": "办理时限",
        "fee": "收费标准",
        "location": "办理地点",
        "hours": "办公时间",
        "phone": "咨询电话",
        "department": "承办部门",
        "basis": "办理依据",
        "faq": "常见问题",
        "copies": "{n}份",
        "header": "【{title}】一次性告知",
        "footer": "以上为全部所需材料和流程，如有疑问可回复“人工服务”。",
    },
    "en": {
        "materials": "Required materials",
        "none": "No materials required",
        "steps": "Steps",
        "time_limit": "Time limit",
        "fee": "Fee",
        "location": "Where",
        "hours": "Hours",
        "phone": "Phone",
        "department": "Department",
        "basis": "Legal basis",
        "faq": "FAQ",
        "copies": "{n} cop{ies}",
        "header": "[{title}] Everything you need, at once",
        "footer": 'That is the complete list. Reply "human" to ask a member of staff.',
    },
}


def _material_line(number: int, material: Material, lang: str) -> str:
    labels = _LABELS[lang]
    extras = []
    if material.copies:
        extras.append(labels["copies"].format(n=material.copies, ies="y" if material.copies == 1 else "ies"))
    if material.note:
        extras.append(material.note)
    suffix = f"（{'；'.join(extras)}）" if lang == "zh" and extras else f" ({'; '.join(extras)})" if extras else ""
    return f"{number}. {material.name}{suffix}"


def format_procedure(procedure: Procedure, lang: str) -> str:
    """The complete answer for a procedure in `lang`, as plain text with one item per line."""
    text = procedure.text(lang)
    labels = _LABELS[lang]
    colon = "：" if lang == "zh" else ": "
    lines = [labels["header"].format(title=text.title), f"{labels['department']}{colon}{text.department}", ""]
    heading = colon.rstrip()
    lines.append(f"{labels['materials']}{heading}" if text.materials else f"{labels['materials']}{colon}{labels['none']}")
    lines += [_material_line(i, m, lang) for i, m in enumerate(text.materials, 1)]
    if text.steps:
        lines += ["", f"{labels['steps']}{heading}"] + [f"{i}. {step}" for i, step in enumerate(text.steps, 1)]
    lines += [
        "",
        f"{labels['time_limit']}{colon}{text.time_limit}",
        f"{labels['fee']}{colon}{text.fee}",
        f"{labels['location']}{colon}{text.location}",
        f"{labels['hours']}{colon}{text.hours}",
        f"{labels['phone']}{colon}{text.phone}",
        f"{labels['basis']}{colon}{text.basis}",
    ]
    if text.faq:
        lines += ["", f"{labels['faq']}{heading}"] + [f"Q: {f.q}\nA: {f.a}" for f in text.faq]
    lines += ["", labels["footer"]]
    return "\n".join(lines)
