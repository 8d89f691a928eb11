"""What simulated viewers type: reactions that echo the stream, and everything that does not.

Reactions are what alignment locks onto (they repeat words just spoken, or answer a call);
background chatter, bots, copypasta, emote walls and toxic lines are what later filters must
remove.  The texts are written to look like a real Twitch chat, with no slurs.
"""

from __future__ import annotations

import numpy as np

REACT_EMOTES = ("LUL", "KEKW", "Pog", "PogChamp", "OMEGALUL", "Kappa", "LULW", "ICANT")
JOKE_REACTIONS = (
    "LUL", "KEKW", "LMAO", "OMEGALUL", "LUL LUL", "KEKW KEKW", "ICANT", "lmaooo", "😂", "😂 LUL", "💀", "LULW",
    "pepeLaugh", "haha", "HAHAHA", "KEKW 💀", "lol", "LUL LUL LUL",
)  # fmt: skip
COUNTDOWN_REACTIONS = (
    "LETS GO", "LETS GOOOO", "LETS GO PogChamp", "PogChamp", "PogChamp PogChamp", "HYPE", "HYPE HYPE HYPE",
    "HE'S LIVE", "POGGERS", "PogU", "LETSGOOO", "WE'RE LIVE PogChamp", "Kreygasm", "lets gooo", "HYPE PogChamp",
)  # fmt: skip
ECHO_FORMS = (
    "{w}", "{W}", "{w} {e}", "{e} {w}", "{w}!!!", "not {w} {e}", "{w} Pog", "I love {w}", "{w} {w} {w}",
    "RIP {w}", "{w} is so real", "{l} lol", "{W} {e}", "omg {w}", "{w} PogChamp", "{w} 😂", "{W}!!",
)  # fmt: skip

BACKGROUND: dict[str, tuple[str, ...]] = {
    "opening": (
        "hi chat", "hello", "HeyGuys", "is he live yet", "early gang", "first", "hi doug", "VoHiYo", "catJAM",
        "the starting soon music is a banger", "starting soon gang", "where is doug", "Kappa", "ResidentSleeper",
        "hello everyone HeyGuys", "just got here, what did I miss", "hi from Germany", "good evening chat",
        "we are so back", "it's happening", "catJAM catJAM", "hi {user}", "i have been waiting all week",
        "is this the new series?", "peepoHappy", "sound is fine on my end",
    ),
    "speech": (
        "what game is this", "how long has he been live", "first time catching a stream live, hi everyone",
        "my cat is watching with me", "anyone else eating dinner", "just got home from work", "chat is fast today",
        "LUL", "Kappa", "does he read chat?", "what is the schedule this week", "hello from Brazil",
        "hello from Canada", "good stream today", "love this series", "can't wait for the youtube video",
        "@{user} true", "@{user} lol", "{user} you are so right", "what mic does he use?", "the lighting is good today",
        "i should be studying", "this is my comfort stream", "hydrate chat", "W stream", "chat how is your day",
        "BibleThump", "SeemsGood", "4Head", "the editor is going to have fun with this", "imagine the thumbnail",
        "my dog just barked at the screen", "i missed the start, what happened?", "this is peak content",
        "who else is watching at work", "hi chat, how is everyone", "chat is wholesome today", "Kappa Kappa",
        "the vibes are immaculate", "😂", "doug's voice is so calming", "what time is it there?",
        "i need to sleep but i can't stop watching", "EZ", "5Head", "Clap", "big if true", "pepeLaugh",
        "this stream is going great", "CoolCat", "just subbed last week, best decision", "ok but where is the cat",
    ),
    "music": (
        "catJAM", "catJAM catJAM catJAM", "song?", "vibing", "what is this song", "banger", "music break ResidentSleeper",
        "SeemsGood", "this slaps", "catJAM 🎵", "I could listen to this for hours", "jam break", "the music is so good",
        "who made this song", "elevator music Kappa", "CoolCat", "dancing in my chair",
    ),
    "end": (
        "bye doug", "gn chat", "great stream", "<3", "bye chat", "thanks for the stream", "see you next time",
        "HeyGuys bye", "that was fun", "bye everyone", "GG", "peepoHappy bye", "ty for the stream",
    ),
}

BOT_TIMERS = {
    "nightbot": (
        "Join the DougDoug Discord: discord.gg/dougdoug",
        "Follow Doug on socials: twitter.com/dougdougw | youtube.com/@DougDoug",
        "Be nice in chat, mods are watching. Type !rules for the rules.",
    ),
    "streamelements": (
        "Use !commands to see what I can do",
        "Enjoying the stream? Hit the follow button so you never miss a stream!",
    ),
}
COMMANDS = ("!discord", "!uptime", "!socials")
SHOUTOUT_TARGETS = ("parkzer", "sparklekat", "chefbot_ttv")

COPYPASTAS = (
    "I'm not saying Doug is the best streamer on this platform, but if you look at the numbers, the vibes, "
    "the hair, and the sheer amount of pickles involved, the conclusion is honestly impossible to ignore.",
    "Hello, I am a professional chat spammer. I have spammed in over four hundred streams and I have never "
    "once been timed out. Today I am here to say one thing and one thing only: KEKW",
    "My mom walked in and asked why I am watching a man yell at a video game for three hours. I told her it "
    "is educational. She is now watching too. Hi mom",
    "This stream is sponsored by nobody. Nobody pays Doug. Doug does this for free, out of the goodness of "
    "his heart, and also for the subs. Please subscribe. Thank you.",
)

WALL_EMOTES = ("KEKW", "LUL", "PogChamp", "catJAM", "OMEGALUL", "Kappa", "monkaS", "Pog", "Sadge", "BibleThump")

TOXIC_LINES = (
    "you are trash at this game",
    "this is the worst stream i have ever watched",
    "doug you are so bad at this, uninstall",
    "imagine being this bad at a kids game",
    "boring stream, unfollowed",
    "you are genuinely terrible at video games",
)

RESUB_MESSAGES = (
    "love the streams doug", "{m} months PogChamp", "best streamer on twitch", "hi doug, long time viewer",
    "here's to {m} more months", "thanks for the laughs",
)  # fmt: skip
RAID_MESSAGES = (
    "SparkleKat raid", "SPARKLE RAID", "hi doug from the sparkle stream", "RAID HYPE", "we come in peace",
    "raid PogChamp", "hello doug chat VoHiYo", "sparkle raid HeyGuys", "RAID RAID RAID", "hi everyone, raid gang",
)  # fmt: skip


def pick(options: tuple[str, ...], rng: np.random.Generator) -> str:
    return options[int(rng.integers(len(options)))]


def echo_phrase(word: str, rng: np.random.Generator) -> str:
    """A viewer repeating a spoken word the way chat does (caps, emotes, 'not X again')."""
    form = pick(ECHO_FORMS, rng)
    return form.format(w=word, W=word.upper(), l=word.lower(), e=pick(REACT_EMOTES, rng))


def call_answer(answer: str, rng: np.random.Generator) -> str:
    """A number typed in answer to 'type one in chat': '1', '1111', '1 1 1', 'one'..."""
    number_word = {"1": "one", "2": "two"}.get(answer, answer)
    forms = (
        answer, answer, answer, answer * 2, answer * 3, answer * int(rng.integers(4, 12)), f"{answer} {answer} {answer}",
        f"{answer}!", number_word, f"{answer} KEKW", f"{answer} PogChamp", f"{answer} {answer}",
    )  # fmt: skip
    return pick(forms, rng)


def spam_answer(emote: str, rng: np.random.Generator) -> str:
    return " ".join([emote] * int(rng.integers(1, 6)))


def question_answer(answer: str, rng: np.random.Generator) -> str:
    roll = rng.random()
    if roll < 0.45:
        return answer
    if roll < 0.6:
        return answer.upper()
    if roll < 0.75:
        return f"{answer} {pick(REACT_EMOTES, rng)}"
    if roll < 0.9:
        return answer.lower()
    return f"{answer} {answer}"


def joke_reaction(rng: np.random.Generator) -> str:
    return pick(JOKE_REACTIONS, rng)
