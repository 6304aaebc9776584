"""Which offline lemmatizer names discovery's keywords right: 50 words from real survey answers.

Run: .venv/bin/python benchmarks/quality/lemmatizers.py [--json]

The words: the 25 most frequent words of the demo corpus (corpora/ai-therapy-survey.csv) and the 25 most
frequent of the NHS Friends and Family Test answers (../shared/data/nhs_fft/items.csv, not repeating a
demo word) that at least one of the lemmatizers below changes. Words are tokens as discovery sees them
(spaCy's English tokenizer, lower-cased; stop words, one-letter words and pieces of contractions left
out). The list is written out here, so this benchmark needs no data to run; --recount rebuilds it from the
files and fails if they no longer give the same list.

Gold: the headword a keyword list should show for the word as the answers use it (its contexts were
read): nouns singular, verb forms to the infinitive, and -ing/-ed forms that the answers use mostly as
adjectives or nouns kept as they are ("caring staff", "waiting list", "I'm worried"). Where the answers
use a word both ways, a second form is also accepted; "strict" counts only the first.

Lemmatizers, each given one lower-cased word with no context (as discovery calls it):
- spaCy's lookup table (spacy-lookups-data), what discovery used before;
- simplemma (its English data ships inside the package);
- lemminflect's dictionary, taking the noun reading first, or the verb reading first, when a word has both.
With --guard, each again with a guard that keeps the word when its lemma is a stop word and the word is
not ("ai" -> "have"); it does worse, because spaCy's stop words include say, get, take, give, have, call
and go. Not measured: spaCy's rule-based lemmatizer (needs a trained pipeline with a tagger, such as
en_core_web_sm, which is not a PyPI package) and NLTK's WordNet (its data is a download at run time).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# word: acceptable lemmas, the strict one first
GOLD: dict[str, tuple[str, ...]] = {
    # demo corpus
    "clients": ("client",), "ai": ("ai",), "better": ("good", "better"), "talking": ("talk",),
    "things": ("thing",), "waiting": ("waiting", "wait"), "trained": ("train", "trained"),
    "words": ("word",), "worried": ("worried", "worry"), "needs": ("need",),
    "lists": ("list",), "said": ("say",), "training": ("training", "train"), "came": ("come",),
    "counsellors": ("counsellor",), "companies": ("company",), "counselling": ("counselling", "counsel"),
    "happens": ("happen",), "comes": ("come",), "services": ("service",), "sessions": ("session",),
    "told": ("tell",), "data": ("data",), "structured": ("structured", "structure"), "lowest": ("low",),
    # NHS Friends and Family Test
    "hours": ("hour",), "got": ("get",), "caring": ("caring", "care"), "arrived": ("arrive",),
    "needed": ("need",), "paramedics": ("paramedic",), "took": ("take",), "times": ("time",),
    "patients": ("patient",), "crew": ("crew",), "given": ("give",), "helped": ("help",),
    "felt": ("feel",), "having": ("have",), "listened": ("listen",), "minutes": ("minute",),
    "quicker": ("quick",), "questions": ("question",), "answered": ("answer",),
    "understanding": ("understanding", "understand"), "getting": ("get",), "called": ("call",),
    "going": ("go",), "amazing": ("amazing", "amaze"), "appointments": ("appointment",),
}


def lemmatizers(guarded: bool = False) -> dict:
    import simplemma
    from lemminflect import getAllLemmas
    from spacy.lookups import load_lookups

    table = load_lookups("en", ["lemma_lookup"]).get_table("lemma_lookup")

    def lemminflect(order):
        def lemma(word: str) -> str:
            found = getAllLemmas(word)
            for pos in order:
                if pos in found:
                    return found[pos][0].lower()
            return word
        return lemma

    plain = {
        "spacy lookup table": lambda w: str(table.get(w, w)).lower(),
        "simplemma": lambda w: simplemma.lemmatize(w, lang="en").lower(),
        "lemminflect, noun first": lemminflect(("NOUN", "ADJ", "VERB", "ADV")),
        "lemminflect, verb first": lemminflect(("VERB", "NOUN", "ADJ", "ADV")),
    }
    if not guarded:
        return plain
    from spacy.lang.en.stop_words import STOP_WORDS

    def guard(lemma):
        return lambda w: w if (lemma(w) in STOP_WORDS and w not in STOP_WORDS) else lemma(w)

    return {**plain, **{f"{name} + stop-word guard": guard(f) for name, f in plain.items()}}


def recount() -> list[str]:
    """The 50 words again, from the files."""
    import collections
    import csv

    import spacy
    from spacy.lang.en.stop_words import STOP_WORDS

    nlp = spacy.blank("en")
    changes = list(lemmatizers().values())

    def top(path: Path, column: str, n: int, skip: set[str]) -> list[str]:
        counts = collections.Counter()
        with path.open(encoding="utf-8") as handle:
            texts = [row[column] for row in csv.DictReader(handle)]
        for doc in nlp.tokenizer.pipe(texts):
            for t in doc:
                if t.is_alpha and not t.is_stop and t.norm_ == t.lower_ and len(t.lower_) > 1 \
                        and t.lower_ not in STOP_WORDS:
                    counts[t.lower_] += 1
        words = [w for w, _ in counts.most_common() if w not in skip and any(f(w) != w for f in changes)]
        return words[:n]

    demo = top(REPO / "corpora" / "ai-therapy-survey.csv", "answer", 25, set())
    nhs_path = REPO.parent / "shared" / "data" / "nhs_fft" / "items.csv"
    if not nhs_path.exists():
        raise SystemExit(f"{nhs_path} is absent (--recount needs the NHS FFT data; the list does not)")
    return demo + top(nhs_path, "text", 25, set(demo))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--recount", action="store_true", help="Rebuild the word list from the data files.")
    parser.add_argument("--guard", action="store_true", help="Also each lemmatizer with the stop-word guard.")
    args = parser.parse_args()
    if args.recount:
        words = recount()
        assert sorted(words) == sorted(GOLD), f"the data give another list: {words}"
    rows = []
    for name, lemma in lemmatizers(guarded=args.guard).items():
        got = {w: lemma(w) for w in GOLD}
        strict = sum(got[w] == gold[0] for w, gold in GOLD.items())
        lenient = sum(got[w] in gold for w, gold in GOLD.items())
        wrong = [f"{w}->{got[w]}" for w, gold in GOLD.items() if got[w] not in gold]
        rows.append({"lemmatizer": name, "strict": strict, "accepted": lenient, "of": len(GOLD),
                     "wrong": wrong})
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    print("| lemmatizer | right (strict) | right (accepted) | wrong, even leniently |")
    print("| --- | ---: | ---: | --- |")
    for r in rows:
        print(f"| {r['lemmatizer']} | {r['strict']}/{r['of']} | {r['accepted']}/{r['of']} | "
              f"{', '.join(r['wrong']) or '-'} |")


if __name__ == "__main__":
    main()
