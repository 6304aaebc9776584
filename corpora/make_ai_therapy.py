# ruff: noqa: E501
"""Write the illustrative AI-in-therapy demo corpus and its intended-coding key.

The answers below were written for the thematic project. They are modelled on the
design of Prescott & Hanley (2023), doi:10.1108/MHSI-02-2023-0020, and are NOT
participant data. Run from the repository root:

    python3 corpora/make_ai_therapy.py

It rewrites corpora/ai-therapy-survey.csv and corpora/ai-therapy-key.csv. The
output is deterministic (fixed seed), so rerunning it changes nothing.
"""

from __future__ import annotations

import csv
import random
from collections import Counter
from pathlib import Path

SEED = 2023
HERE = Path(__file__).resolve().parent

N = "negative-responses"
P = "possibilities-of-ai"
M = "mixed-support"
T = "therapeutic-risks"

# Target distributions (n = 120): trainee/qualified about 74/26%,
# would_consider yes/maybe/no about 9/35/56%.
ROLES = {"trainee": 89, "qualified": 31}
APPROACHES = {"integrative": 48, "person-centred": 33, "CBT": 24, "psychodynamic": 15}

# (would_consider, themes, answer, role or None, approach or None)
# role/approach are fixed only where the answer implies them; the rest are
# filled in from the seeded draw so that the totals above come out exactly.
ANSWERS: list[tuple[str, tuple[str, ...], str, str | None, str | None]] = [
    # ---------------------------------------------------------------- would_consider = no
    ("no", (N,), "I would never refer a client to an AI. It feels like a cost-cutting exercise dressed up as innovation.", None, None),
    ("no", (T,), "Therapy is a relationship. A programme can produce the right words but it can't be with someone in their distress, and clients know the difference.", None, None),
    ("no", (N, T), "Absolutely not for me. Half of what I pick up with clients is in the room - the way they sit, when they go quiet, what they don't say. A chatbot gets none of that.", None, None),
    ("no", (N,), "Who is accountable when it goes wrong? If a client is harmed by advice from an algorithm, there's no BACP complaints process for a piece of software.", "qualified", None),
    ("no", (), "No.", None, None),
    ("no", (N,), "Scary.", None, None),
    ("no", (T,), "My main worry is risk. Clients often disclose suicidal thoughts sideways, in a throwaway comment at the door, and I'm not convinced a machine would catch that or know what to do with it.", "qualified", None),
    ("no", (N,), "Data. Where does it go, who owns it, who can sell it? Clients tell us things they've never told anyone.", None, None),
    ("no", (N, T), "I find the whole idea quite upsetting to be honest. People are lonely enough already, and offering them a machine instead of a person when they are at their lowest seems cruel. It can't care about them.", None, None),
    ("no", (T,), "Empathy isn't a script. You can programme a response that sounds empathic but the client isn't being felt by anyone.", None, None),
    ("no", (), "n/a", None, None),
    ("no", (N,), "- not for me. I came into this profession to work with people, not to be replaced by an app.", None, None),
    ("no", (T,), "I work a lot with trauma and so much of it is non-verbal: breathing, colour draining from a face, a foot that starts tapping. I can't see how AI would read that, even with a camera.", "qualified", None),
    ("no", (N,), "I think it is dangerous. Vulnerable people could be given poor advice with nobody checking, and the companies behind these things are not regulated like we are. We have supervision, a code of ethics and a complaints procedure. What does an app have? A disclaimer at the bottom of the screen.", None, None),
    ("no", (N, T), "Its not therapy. Therapy happens between two people and a chatbot is just predicting the next word, it doesnt understand anything about the person in front of it. I wouldnt use it and I'd worry about anyone who did.", None, None),
    ("no", (T,), 'How would it know when someone says "I\'m fine" and means the opposite?', None, None),
    ("no", (N,), "Unethical. Full stop.", None, None),
    ("no", (T,), "Rupture and repair is where a lot of the healing happens for my clients. You can't have a rupture with a machine in any meaningful way, so you can't have the repair either.", None, "psychodynamic"),
    ("no", (N,), "I'm worried that commissioners will see it as a cheap fix and services will be cut even further. Clients deserve better than that.", "qualified", None),
    ("no", (), "Not really.", None, None),
    ("no", (N, T), "Honestly I think it's naïve to imagine a machine could hold someone's trauma safely. It would miss the cues that someone is dissociating and just carry on with the next question. I wouldn't want it anywhere near my clients.", None, None),
    ("no", (T,), "Clients with attachment difficulties need a consistent, real other person. A machine could end up reinforcing the idea that nobody is really there for them.", None, "psychodynamic"),
    ("no", (N,), 'I\'m against it. I don\'t think it should be called "therapy" at all, and I\'d like to see the professional bodies say so.', None, None),
    ("no", (T,), "Tone of voice, pauses, tears. Much of my work is responding to what I see and hear rather than what's said.", None, None),
    ("no", (N,), "Informed consent would be a nightmare. Most people don't read the terms and conditions, and someone in crisis certainly won't.", None, None),
    ("no", (), "Nothing to add, thanks", None, None),
    ("no", (N, T), "I have thought about this a lot since the survey came round. My honest view is that it would do more harm than good. The people who come to counselling have often been let down by others, and what helps them is being met by someone who is genuinely there. A machine can't offer that, however clever it sounds. It also can't pick up on risk the way a trained person can, and I'd be very worried about someone disclosing abuse to a chatbot that then just moves on. I'd rather we put the money into training more counsellors.", "qualified", None),
    ("no", (T,), "I'm person-centred so for me the core conditions are the therapy. Congruence from a machine is a contradiction in terms.", None, "person-centred"),
    ("no", (N,), "Please no", None, None),
    ("no", (T,), "It can't read the room.", None, None),
    ("no", (N,), "I'm uneasy about the tech companies behind this. Their priority is profit and engagement, not the wellbeing of the client, and I don't trust them with mental health data.", None, None),
    ("no", (N, T), "There is no way a machine can understand grief. I sat with a client last week who said nothing for ten minutes and that silence was the session. I'd refuse to work alongside anything like that.", "qualified", None),
    ("no", (T,), "Safeguarding. If a young person discloses something at 2am to an app, who acts on it?", None, None),
    ("no", (T,), "I wonder how it would cope with sarcasm, humour, cultural differences in how people express distress. A lot of meaning sits underneath the words.", None, None),
    ("no", (N,), "I don't think it's appropriate for AI to be used in mental health at all. It's one thing using it to book a train, quite another to trust it with someone's mind.", None, None),
    ("no", (N,), "Harmful. There have already been stories in the news of chatbots telling people things that put them in danger.", None, None),
    ("no", (T,), "Clients often need to feel that they matter to someone. I don't see how that could happen with a computer programme.", None, None),
    ("no", (N, T), "As a trainee I've learnt how much I rely on my body in the room — noticing a tension in myself that turns out to be the client's. A machine has no body to notice with. I wouldn't consider it, and I'd be sad to see the profession go that way.", "trainee", None),
    ("no", (), "Interesting topic, glad someone is researching it.", "trainee", None),
    ("no", (N,), "Its a no from me", None, None),
    ("no", (T,), "The therapeutic alliance is the best predictor of outcome we have. I can't see how you form an alliance with software.", None, None),
    ("no", (N,), "I'd be worried about my own job, if I'm honest, but more worried about clients being fobbed off with an app because it's cheaper.", None, None),
    ("no", (T,), "Body language is huge. So much is lost even on Zoom, let alone with a text bot.", None, None),
    ("no", (N, T), "It would be unethical to offer it to anyone at risk. It won't notice the shift in someone's voice when they start talking about not wanting to be here, and by the time it does it's too late.", "qualified", None),
    ("no", (N,), "I feel strongly that this is the wrong direction. We should be fighting for properly funded services, not automating care.", None, None),
    ("no", (), "Not sure what else to add.", None, None),
    ("no", (T,), "Some of my clients have never had the experience of someone staying with them through difficult feelings. They've been dismissed, shouted at, or simply ignored. When I stay, week after week, and don't flinch, something shifts for them. That experience is the therapy, and it needs a person who chooses to be there. A machine doesn't choose anything.", "qualified", None),
    ("no", (N,), "No, no, no. Too many unknowns and nobody taking responsibility.", None, None),
    ("no", (T,), "Humans are wired for connection. We co-regulate with each other, and an AI can't co-regulate with a dysregulated client.", None, None),
    ("no", (N,), "I think it's a gimmick and I'd be embarrassed to recommend it.", None, None),
    ("no", (N, T), "Two things.\nFirst, confidentiality: I have no idea where the conversation would be stored or who could access it.\nSecond, it can't pick up on what isn't being said, which in my experience is most of what matters.", None, None),
    ("no", (T,), "I'd worry about clients with psychosis or severe depression, where the presentation changes from week to week and needs a trained eye.", "qualified", None),
    ("no", (N,), "Morally I find it troubling. It treats people's distress as a problem to be processed, and I'm not comfortable with that.", None, None),
    ("no", (), "Hmm", None, None),
    ("no", (T,), "Counselling is about relationship, and that's the bit a machine can't do.", None, "person-centred"),
    ("no", (N,), "I would not trust it.", None, None),
    ("no", (N, T), "My concern is that clients will feel heard when they're not. The AI will reflect back the words but miss the feeling, and someone fragile could end up more isolated. I don't think we should be offering this.", None, None),
    ("no", (T,), "How does a machine hold hope for someone? That's something I do for clients when they can't do it for themselves.", None, None),
    ("no", (N,), "I'd be interested to know who funds this kind of research. My suspicion is that the push comes from tech firms, not from clients or clinicians, and I'm opposed to it on that basis alone.", None, None),
    ("no", (T,), "You need to be able to sense when to challenge and when to hold back. That comes from reading the person, not from a rulebook.", None, None),
    ("no", (N,), "Not in my practice. Ever.", "qualified", None),
    ("no", (N, T), "Clients from marginalised groups already struggle to be understood. I'd worry that an AI trained mostly on white, Western data would misread how they express distress, and that's a harm nobody would be held to account for.", None, None),
    ("no", (), "", None, None),
    ("no", (), "", None, None),
    ("no", (), "", None, None),
    ("no", (), "", None, None),
    ("no", (), "", None, None),
    # ------------------------------------------------------------- would_consider = maybe
    ("maybe", (M,), "It could be useful for people on long waiting lists as a stopgap, but I wouldn't want it to replace a counsellor.", None, None),
    ("maybe", (M, T), "I can see a place for it with psychoeducation or CBT homework, where things are more structured. For the deeper relational work though, it would miss too much - the silences, the body language, the things people can't yet put into words.", None, "CBT"),
    ("maybe", (P,), "For trainees it could be a good way to practise skills before seeing real clients, like a flight simulator.", "trainee", None),
    ("maybe", (T,), "I'm open minded but I keep coming back to empathy. Can something be empathic if it doesn't feel anything?", None, None),
    ("maybe", (), "Interesting", None, None),
    ("maybe", (M,), "There are people who would never walk into a counselling room and might talk to an app at 3am. That has to be worth something. But it needs proper regulation and clear limits on what it claims to be.", None, None),
    ("maybe", (M, T), "I'm genuinely torn. On the one hand, waiting lists in my area are over a year for NHS talking therapies and people are deteriorating while they wait, so anything that offers some support in the meantime feels better than nothing.\n\nOn the other hand, the clients who have waited longest are often the most complex, and those are exactly the people I'd least want talking to a machine. It wouldn't know when to stop, when to slow down, or when someone was at risk. I suppose I'd want it used as a bridge and never as the destination.", "qualified", None),
    ("maybe", (P,), "Between sessions it could be helpful for clients to have something to check in with, like a mood diary that talks back.", None, None),
    ("maybe", (M,), "Maybe for mild anxiety or stress, with a human in the loop. Not for anything serous.", None, None),
    ("maybe", (), "Curious to see where this goes.", None, None),
    ("maybe", (M, T), "I think it might suit some younger clients who are more comfortable typing than talking. My hesitation is that so much of my assessment happens through watching and listening, and I'd lose that.", None, None),
    ("maybe", (T,), "It wouldn't pick up on incongruence, when someone smiles while describing something awful.", None, "person-centred"),
    ("maybe", (P,), "Access is the big one for me. Rural clients, people with disabilities, shift workers - anything that reaches them is welcome.", None, None),
    ("maybe", (M,), "It depends entirely on how it's used. As an adjunct, fine. As a replacement, no.", None, None),
    ("maybe", (M,), "Could help with admin and note-taking so we have more time for clients. I'm less convinced about it doing the therapy itself.", "qualified", None),
    ("maybe", (T,), "I'd want to know how it handles risk. A missed disclosure could cost a life.", None, None),
    ("maybe", (), "No comment at this time.", None, None),
    ("maybe", (M, T), "I've used one of the wellbeing chatbots myself out of curiosity and it was surprisingly decent at reflecting back what I'd written. But it felt hollow after a while, like talking to a very polite mirror. There was nobody there.", None, None),
    ("maybe", (P,), "Could be a really good training tool, giving trainees feedback on their reflections or helping with case formulation.", "trainee", None),
    ("maybe", (M,), "I'd consider it for structured, manualised work like sleep hygiene or graded exposure, with supervision from a qualified practitioner, but I'd be cautious about anything more open-ended.", None, "CBT"),
    ("maybe", (T,), "The relationship is what heals, in my view. I'm not sure how you get a relationship with something that isnt alive.", None, None),
    ("maybe", (M,), "Some of my clients already use ChatGPT between sessions and tell me about it. Some find it helpful, some find it unsettling. One told me it was \"nicer than my mum\", which says a lot. I think we need to talk about it in supervision and training rather than pretend it isn't happening.", "qualified", None),
    ("maybe", (P,), "I think it has potential for people who feel shame about speaking to a person, at least as a first step.", None, None),
    ("maybe", (), "I'd need to know a lot more about it before I could say.", None, None),
    ("maybe", (M, T), "It might be decent at signposting - telling someone where the nearest crisis café is or what a referral involves. Where it falls down is the emotional side; it can't tell when someone's voice cracks.", None, None),
    ("maybe", (M,), "Useful, as long as clients are told clearly that they're talking to a machine and there's a route to a real person.", None, None),
    ("maybe", (T,), "My biggest fear is someone in crisis being met with a generic response.", None, None),
    ("maybe", (P,), "+ waiting lists, + cost, + available at any hour. Those are real advantages for clients who currently get nothing.", None, None),
    ("maybe", (M,), "Maybe as part of a stepped care model, at the lowest step. Anything beyond that should be a trained human.", None, "CBT"),
    ("maybe", (M, T), "For some people a machine might feel safer because it won't judge them, and I can see the appeal. But not being judged isn't the same as being accepted, and unconditional positive regard only means something if it comes from a person.", None, "person-centred"),
    ("maybe", (P,), "AI could help supervisors too, e.g. flagging themes across a caseload. I'd be interested in that.", "qualified", None),
    ("maybe", (T,), "Non-verbal communication is most of the picture.", None, None),
    ("maybe", (M,), "Ask me again in five years. Right now I think the tech isn't there, but I can see it becoming useful for the simpler stuff.", None, None),
    ("maybe", (), "Thank you for doing this survey.", None, None),
    ("maybe", (M,), "For people who can't afford private therapy and are stuck on a waiting list it's better than nothing, although 'better than nothing' is a low bar.", None, None),
    ("maybe", (T,), "I think a lot depends on the client. Someone who is dissociating or psychotic needs a person who can see what's happening.", None, None),
    ("maybe", (P,), "Could be a good resource for psychoeducation, giving people information about anxiety or panic in plain language.", None, None),
    ("maybe", (M, T), "Maybe, with caveats. It could give people somewhere to offload, which has value in itself. I just don't believe it could ever be attuned to someone in the way a therapist is, and attunement is most of the job.", None, None),
    ("maybe", (M,), "It's a tool like any other. Used well it could take pressure off services; used badly it could hurt people. The difference will be in how it's regulated.", None, None),
    ("maybe", (P,), "I think it could reduce stigma, especially for men who find it hard to ask for help.", None, None),
    ("maybe", (), "", None, None),
    ("maybe", (), "", None, None),
    # --------------------------------------------------------------- would_consider = yes
    ("yes", (P,), "I think it could massively help with access. There are so many people who can't get support at all, and something is better than nothing.", None, None),
    ("yes", (P,), "As a trainee I'd love an AI 'client' to practise with, especially for difficult conversations like risk assessment.", "trainee", None),
    ("yes", (M,), "Yes for support between sessions and for people on waiting lists. It would need a clear handover to a person if risk came up, and clients should always know it's a machine.", None, None),
    ("yes", (P,), "Exciting possibilites! Especially for people in remote areas or who can't leave the house.", None, None),
    ("yes", (M, T), "I'd consider it, probably for low-level work. I'm realistic that it won't pick up on everything a person would, like body language, but it's available when we aren't.", None, "CBT"),
    ("yes", (P,), "Could free up counsellors for the complex cases by handling the lower-intensity stuff.", None, None),
    ("yes", (P,), "I use AI tools already for writing up notes (anonymised) and for thinking through formulations. It's been helpful.", "qualified", None),
    ("yes", (M,), "I think we need to embrace it rather than resist it. There are risks, but there are risks in every form of therapy. Better that counsellors help shape it than leave it to the tech companies.", None, None),
    ("yes", (P,), "More options for clients can only be a good thing", None, None),
    ("yes", (M,), "I answered yes but with reservations. I've worked in a service with an eighteen-month waiting list and watched people give up on ever getting help. If an AI could offer some structured support during that time, even just helping people manage their symptoms and keep a diary, I think that's worth having. I'd want it to be transparent, evidence-based and overseen by clinicians. And I'd want clients to have a clear route back to a human whenever they wanted one. It wouldn't be therapy as I practise it, but it could be something useful alongside it.", "qualified", None),
    ("yes", (), "", None, None),
]


def _fill(fixed: list[str | None], totals: dict[str, int], rng: random.Random) -> list[str]:
    """Fill the None slots so that each value reaches its total exactly."""
    left = Counter(totals)
    left.subtract(v for v in fixed if v is not None)
    if any(n < 0 for n in left.values()):
        raise SystemExit(f"fixed values exceed totals: {dict(left)}")
    pool = [v for v, n in left.items() for _ in range(n)]
    if len(pool) != sum(v is None for v in fixed):
        raise SystemExit("totals do not add up to the number of answers")
    rng.shuffle(pool)
    it = iter(pool)
    return [v if v is not None else next(it) for v in fixed]


# ----------------------------------------------------------------------------- closed items
# The study's closed items (Prescott & Hanley 2023 report subscale means ordered goal > task > bond):
# twelve working-alliance items adapted to "can a machine therapist offer this?" (1-7, strongly disagree
# .. strongly agree; 4 per subscale, in the spirit of the WAI-SR but worded for this project) and twelve
# attitude items (1-5, strongly disagree .. strongly agree; access, general attitudes, risks, training).
# Reverse-keyed items (stored as answered, so a high number means disagreement with the construct):
# wai_task_4, wai_bond_4 and att_general_3. scales/ai-therapy.yaml describes them all.
WAI_ITEMS = [f"wai_{s}_{i}" for s in ("goal", "task", "bond") for i in range(1, 5)]
ATT_ITEMS = [f"att_{s}_{i}" for s in ("access", "general", "risks", "training") for i in range(1, 4)]
REVERSED = {"wai_task_4", "wai_bond_4", "att_general_3"}
# Subscale centres before the respondent's own leaning (scale points).
WAI_CENTRE = {"goal": 4.3, "task": 3.7, "bond": 3.0}
ATT_CENTRE = {"access": 3.4, "general": 2.9, "risks": 3.7, "training": 3.2}
OPENNESS = {"yes": 1.0, "maybe": 0.2, "no": -0.6}       # would_consider
THEME_OPENNESS = {N: -0.5, P: 0.5, M: 0.1, T: 0.0}
ITEM_MISSING = 0.025            # chance that any one answer is left blank
SKIP_ATTITUDES = 2              # respondents who left every attitude item blank


def _closed_items(rows: list, rng: random.Random) -> list[list[str]]:
    """One list of answers (WAI_ITEMS then ATT_ITEMS, '' for blank) per respondent, in row order.

    Each respondent's openness comes from would_consider and the themes of their answer, plus noise;
    raising therapeutic risks lowers bond (and task a little) and raises the risks items; raising
    possibilities raises access and training. Items add their own noise and are rounded onto the scale.
    """
    def point(value: float, top: int) -> int:
        return min(top, max(1, round(value)))

    skip_att = set(rng.sample(range(len(rows)), SKIP_ATTITUDES))
    out = []
    for index, row in enumerate(rows):
        would, themes = row[0], row[1]
        openness = OPENNESS[would] + sum(THEME_OPENNESS[t] for t in themes) + rng.gauss(0, 0.6)
        wai_shift = {"goal": 0.0, "task": -0.3 if T in themes else 0.0, "bond": -0.9 if T in themes else 0.0}
        att_shift = {"access": 0.4 if P in themes else 0.0, "general": 0.0,
                     "risks": (0.4 if T in themes else 0.0) + (0.3 if N in themes else 0.0),
                     "training": 0.3 if P in themes else 0.0}
        answers = []
        for subscale, centre in WAI_CENTRE.items():
            own = centre + openness + wai_shift[subscale] + rng.gauss(0, 0.4)
            for i in range(1, 5):
                value = point(own + rng.gauss(0, 0.8), 7)
                answers.append(8 - value if f"wai_{subscale}_{i}" in REVERSED else value)
        for subscale, centre in ATT_CENTRE.items():
            lean = -0.5 if subscale == "risks" else (0.7 if subscale == "general" else 0.5)
            own = centre + lean * openness + att_shift[subscale] + rng.gauss(0, 0.3)
            for i in range(1, 4):
                value = point(own + rng.gauss(0, 0.7), 5)
                answers.append(6 - value if f"att_{subscale}_{i}" in REVERSED else value)
        cells = []
        for j, value in enumerate(answers):
            blank = rng.random() < ITEM_MISSING or (j >= len(WAI_ITEMS) and index in skip_att)
            cells.append("" if blank else str(value))
        out.append(cells)
    return out


def main() -> None:
    if len(ANSWERS) != 120:
        raise SystemExit(f"expected 120 answers, have {len(ANSWERS)}")
    rng = random.Random(SEED)
    rows = list(ANSWERS)
    rng.shuffle(rows)
    roles = _fill([r[3] for r in rows], ROLES, rng)
    approaches = _fill([r[4] for r in rows], APPROACHES, rng)
    closed = _closed_items(rows, random.Random(SEED + 1))

    survey = HERE / "ai-therapy-survey.csv"
    key = HERE / "ai-therapy-key.csv"
    with survey.open("w", encoding="utf-8", newline="") as fs, key.open("w", encoding="utf-8", newline="") as fk:
        ws = csv.writer(fs, lineterminator="\n")
        wk = csv.writer(fk, lineterminator="\n")
        ws.writerow(["respondent_id", "role", "approach", "would_consider", "answer", *WAI_ITEMS, *ATT_ITEMS])
        wk.writerow(["respondent_id", "themes"])
        for i, (row, role, approach, items) in enumerate(zip(rows, roles, approaches, closed, strict=True),
                                                          start=1):
            would, themes, answer = row[0], row[1], row[2]
            rid = f"R{i:03d}"
            ws.writerow([rid, role, approach, would, answer, *items])
            wk.writerow([rid, ";".join(themes)])


if __name__ == "__main__":
    main()
