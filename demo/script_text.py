"""What the streamer (and, in one VOD, a guest) says, and which lines chat reacts to.

The text is written by hand, not generated, so each VOD sounds like a different stream and
the reference transcript is exactly what espeak-ng was given.  Numbers are written as words
("type one in chat"): a digit would be read differently by TTS and by ASR, and the
reference must match the audio word for word.

A :class:`Cue` marks a line that chat reacts to, with the distinctive words chat echoes back
(they must occur in the line) and, for calls/questions/spam requests, what chat answers.
"""

from __future__ import annotations

from dataclasses import dataclass

CUE_KINDS = ("call", "spam", "question", "joke", "mention")


@dataclass(frozen=True)
class Cue:
    """Something said that makes chat react: what kind, which words chat repeats, what it answers."""

    kind: str
    words: tuple[str, ...] = ()
    answers: tuple[str, ...] = ()
    size: tuple[int, int] = (8, 20)  # how many viewers react (inclusive range)


@dataclass(frozen=True)
class Line:
    """One utterance: who says it, exactly what is synthesised, and the chat cue it carries."""

    text: str
    speaker: str = "streamer"
    cue: Cue | None = None
    raid_before: bool = False  # a raid arrives in chat just before this line (the streamer reacts to it)


@dataclass(frozen=True)
class MusicBreak:
    """Where the music-only stretch sits in the script."""


MUSIC = MusicBreak()


def s(text: str, cue: Cue | None = None, *, raid_before: bool = False) -> Line:
    return Line(text, "streamer", cue, raid_before)


def g(text: str, cue: Cue | None = None) -> Line:
    return Line(text, "guest", cue)


def call(*answers: str, words: tuple[str, ...] = (), size: tuple[int, int] = (15, 35)) -> Cue:
    """'type one in chat if ...': chat answers with the numbers (the strongest alignment anchor)."""
    return Cue("call", words, answers, size)


def spam(emote: str, size: tuple[int, int] = (15, 40)) -> Cue:
    """'chat, spam KEKW': chat posts the emote."""
    return Cue("spam", (emote,), (emote,), size)


def ask(*answers: str, words: tuple[str, ...] = (), size: tuple[int, int] = (8, 20)) -> Cue:
    """A question to chat: viewers answer with one of ``answers`` (sometimes echoing ``words``)."""
    return Cue("question", words, answers, size)


def joke(*words: str, size: tuple[int, int] = (8, 22)) -> Cue:
    """A joke: LUL / KEKW, often with the punchline word."""
    return Cue("joke", words, (), size)


def echo(*words: str, size: tuple[int, int] = (6, 18)) -> Cue:
    """A name or meme chat repeats."""
    return Cue("mention", words, (), size)


DEMO_01 = [
    s("Okay chat, we are live, welcome to the stream everybody."),
    s("Today chat controls every single item I use in Mario Kart.", echo("Mario Kart")),
    s("Parkzer is editing in the other room, so it is just me and you.", echo("Parkzer")),
    s("Here is how it works, every time I get an item, you vote on what I do with it."),
    s("Type one in chat if I should use it right away, two if I should hold it.", call("1", "2")),
    s("Wow, chat overwhelmingly says use it right away, of course you do."),
    s("We are playing as Wario, because Wario is the only honest man in this game.", joke("Wario", "honest")),
    s("First race is on Moo Moo Meadows, the easiest track ever made.", echo("Moo Moo Meadows")),
    s(
        "I got a banana, chat, what do I do with the banana?",
        ask("throw it", "hold it", "eat it", "throw it behind you", "eat the banana", words=("banana",)),
    ),
    s("Eat the banana? You cannot eat the banana, it is a video game item.", joke("banana")),
    s("Okay, I threw it forward and it hit absolutely nobody."),
    s("Chat, spam KEKW if you think I am going to lose this race.", spam("KEKW")),
    s("Rude, very rude, I am in second place, thank you very much."),
    s(
        "There is a Shy Guy right in front of me, chat, what should we name him?",
        ask("Gerald", "Gerald", "Kevin", "Steve", "Gerald", "Bob", "Shy Gerald", words=("Shy Guy",)),
    ),
    s("Gerald, everyone is saying Gerald, okay, his name is Gerald now.", echo("Gerald")),
    s("Gerald, I am coming for you, you cannot escape me."),
    s("Oh no, a blue shell, who threw the blue shell, was it Gerald?", echo("blue shell", "Gerald")),
    s("It was Gerald, Gerald betrayed us, I trusted him with my life.", joke("Gerald", "betrayed")),
    s("Alright, we finished fourth, which is honestly not terrible."),
    s("Type one in chat if fourth place counts as a win.", call("1", words=("fourth",))),
    s("Thank you, I agree, fourth place is basically first place."),
    s("Next up is Rainbow Road, the most dangerous road in the universe.", echo("Rainbow Road")),
    s("I have fallen off Rainbow Road more times than I have eaten breakfast.", joke("Rainbow Road", "breakfast")),
    s(
        "Chat, do you think I can finish this track without falling off even once?",
        ask("no", "nope", "no chance", "yes", "no KEKW", "never", words=("falling off",)),
    ),
    s("Wow, zero faith, absolutely zero faith from my own community."),
    s("Hold on, the track is loading, let me put on some music while we wait."),
    MUSIC,
    s("Okay, we are back, Rainbow Road is loaded, here we go."),
    s("I got three mushrooms, type one to use them all now, two to save them.", call("1", "2", words=("mushrooms",))),
    s("You want me to save them, you are so patient today."),
    s("I fell off, I fell off immediately, Lakitu has to come and get me.", joke("Lakitu", "fell off")),
    s("Lakitu, my old friend, you have carried me more than my own teammates.", echo("Lakitu")),
    s(
        "Real talk chat, how many times do you think I fall off this lap?",
        ask("5", "10", "3", "all of them", "7", "at least 4", words=("fall off",)),
    ),
    s("I bet it is only two more times, I believe in myself."),
    s("And I fell off again, that counts as one, we are on track.", joke("fell off")),
    s("Chat, spam Copium if you still believe in me.", spam("Copium")),
    s("There is so much Copium in chat right now, I can feel it through the screen.", echo("Copium")),
    s("Bowser just passed me with a star, that is so unfair.", echo("Bowser")),
    s("Okay, we are on the final lap, this is it, this is the moment."),
    s("Type one in chat if you want me to use the lightning right now.", call("1", words=("lightning",))),
    s("Lightning, everybody is tiny, now is my chance to pass Gerald.", echo("lightning", "Gerald")),
    s("I passed Gerald, goodbye Gerald, you deserve this.", joke("Gerald")),
    s("We finished sixth on Rainbow Road, honestly that is a personal record.", joke("sixth", "personal record")),
    s(
        "Chat, should we do one more cup or call it a day?",
        ask("one more", "one more cup", "call it", "more", "ONE MORE", words=("cup",)),
    ),
    s("One more cup it is, Parkzer is going to be so mad at how long this video is.", echo("Parkzer")),
    s("Parkzer, if you are watching this, please add a funny sound effect here.", joke("Parkzer", "sound effect")),
    s("We are choosing the Mushroom Cup, because I need a confidence boost."),
    s("Type two in chat if you think this is a bad idea.", call("2")),
    s("Everyone typed two, I do not care, we are doing it anyway."),
    s("Wario is in first place on Luigi Circuit, the honest man prevails.", echo("Wario", "Luigi Circuit")),
    s("Somebody just hit me with a red shell from across the map.", echo("red shell")),
    s("And that is the win, first place, Wario is the champion of the world.", joke("Wario", "champion")),
    s("Chat, spam PogChamp for Wario.", spam("PogChamp")),
    s("Thank you all for watching, I will see you next time, goodbye chat."),
]

DEMO_02 = [
    s("Hello chat, welcome back, today I have a very special guest with me."),
    s("Please welcome Tessa, who has never played a cooking game in her life.", echo("Tessa")),
    g("Hi chat, I am Tessa, and I am going to carry Doug today.", joke("carry")),
    s("She is already lying to you chat, she has never carried anyone."),
    g("Chat, type one in chat if you think I am the better cook.", call("1", words=("cook",))),
    s("Everyone is typing one, this is rigged, you all love Tessa more than me.", joke("rigged")),
    g("It is not rigged Doug, it is just the truth."),
    s("We are playing Burger Panic, where two chefs run a burger stand together.", echo("Burger Panic")),
    s("The customers are ducks, for some reason, and they are very impatient.", joke("ducks")),
    g("Why are the customers ducks, who made this game?"),
    s(
        "Nobody knows, chat, why do you think the customers are ducks?",
        ask("because ducks", "why not", "quack", "ducks love burgers", "quack quack", words=("ducks",)),
    ),
    g("Someone in chat said quack, that is the best answer so far.", echo("quack")),
    s("First order, a double cheeseburger with pickles, Tessa, grab the pickles.", echo("pickles")),
    g("I do not know where the pickles are, Doug, there are no pickles.", joke("pickles")),
    s("The pickles are right behind you, they are glowing green."),
    g("Oh, those are pickles? I thought they were cucumbers.", joke("cucumbers")),
    s("Chat, spam LUL if Tessa has never seen a pickle before.", spam("LUL")),
    g("Stop it chat, I have seen plenty of pickles."),
    s("We have a duck on fire, why is the duck on fire?", echo("fire")),
    g("I might have left the grill on, that one is on me.", joke("grill")),
    s("Tessa, the fries, the fries are burning, get the fries.", echo("fries")),
    g("I got the fries, they are only a little bit black.", joke("black")),
    s("Chat, would you eat a slightly black fry?", ask("yes", "no", "crispy", "extra crispy", "YES", words=("fry",))),
    s("Two minutes left on the clock, we need three more burgers."),
    g("Type two in chat if you think we are going to make it.", call("2")),
    s("Chat has no faith in us, and honestly they are right."),
    s("We finished the first day, let me play some music while the next level loads."),
    MUSIC,
    s("Okay, we are back, day two, and now the kitchen is on a boat.", echo("boat")),
    g("A boat? Doug, why does the kitchen move?"),
    s("Because the game hates us, Tessa, that is the only explanation.", joke("hates")),
    g(
        "Chat, what should we name our restaurant?",
        ask("Duck Burger", "Quack Shack", "Burger Boat", "Pickle Palace", "Quack Shack", words=("restaurant",)),
    ),
    s("Quack Shack, that is perfect, the restaurant is called Quack Shack.", echo("Quack Shack")),
    g("I love Quack Shack, best name ever, chat you are geniuses.", echo("Quack Shack")),
    s("Parkzer is going to have to animate a duck logo for the thumbnail.", echo("Parkzer")),
    g("Who is Parkzer, is he the editor?"),
    s("Yes, Parkzer is the editor, he lives in a dark room and eats only cereal.", joke("Parkzer", "cereal")),
    g("Chat, spam Sadge for Parkzer in his dark room.", spam("Sadge")),
    g("Doug, a duck just ordered a salad, do we even have salad?", joke("salad")),
    s("We do not have salad, Tessa, this is a burger stand, give him a burger."),
    g("Chat, type two if the duck deserves a burger anyway.", call("2", words=("duck",))),
    s("Okay, big order incoming, four burgers, two with onions."),
    g("I am on onions, I am chopping, I am a professional.", echo("onions")),
    s("Tessa, you chopped the bun, you cannot chop the bun.", joke("bun")),
    g("The bun looked like an onion from far away."),
    s("Chat, type one if we should fire Tessa from the Quack Shack.", call("1", words=("Tessa",))),
    g("You cannot fire me, I am the co-owner of the Quack Shack.", joke("co-owner")),
    s("That is fair, she does own half of the duck restaurant."),
    g("We got three stars on day two, that is amazing.", echo("three stars")),
    s("Three stars, chat, spam PogChamp for the Quack Shack.", spam("PogChamp")),
    g("Thank you for having me Doug, this was really fun."),
    s("Thank you Tessa, chat, go follow Tessa, she streams on Thursdays.", echo("Thursdays")),
    s("That is it for today, goodbye chat, see you next time."),
]

DEMO_03 = [
    s("Welcome back chat, today we are finally beating Hammer Mountain.", echo("Hammer Mountain")),
    s(
        "For those who are new, I am a man in a cauldron with a hammer, climbing a mountain.",
        joke("cauldron", "hammer"),
    ),
    s("Last stream I fell from the very top all the way to the bottom."),
    s("Type one in chat if you were here for the great fall.", call("1", words=("great fall",))),
    s("So many ones, so many witnesses to my greatest shame."),
    s("Today chat gets to pick a punishment every time I fall."),
    s(
        "Chat, what should my punishment be?",
        ask("sing", "push ups", "eat a lemon", "talk like a pirate", "pirate voice", words=("punishment",)),
    ),
    s("Talk like a pirate, okay, every time I fall I have to talk like a pirate.", echo("pirate")),
    s("Here we go, the first jump, the orange tree, nice and easy.", echo("orange tree")),
    s("I made it past the orange tree, first try, chat, spam PogChamp.", spam("PogChamp")),
    s("Now the hardest part, the devil's chimney, where dreams go to die.", echo("chimney")),
    s("Arr, I fell, the chimney has claimed me, arr matey.", joke("matey", "arr")),
    s("Chat, spam KEKW, I know you want to.", spam("KEKW")),
    s("Arr, the sea is angry today, and so is the mountain.", joke("sea", "arr")),
    s("Second try at the chimney, slow and steady, one click at a time."),
    s("I did it, I climbed the chimney, I am no longer a pirate.", echo("chimney")),
    s("Up next is the paint bucket, do not ask me why there is a paint bucket.", echo("paint bucket")),
    s("Type two in chat if you think I fall at the paint bucket.", call("2", words=("paint bucket",))),
    s("Wow, the entire chat typed two, thank you for the support.", joke("support")),
    s("I made it over the paint bucket, nobody believed in me."),
    s("Next is the snake, which is not a snake, it is a very long pipe.", joke("snake", "pipe")),
    s("Chat keeps telling me to go left, chat, why do you want me to go left?", ask("go left", "trust", "left is right", "LEFT", "trust us", words=("left",))),
    s("I went left and there is nothing here, you lied to me.", joke("lied")),
    s("Okay, back on track, this is the part where the hammer has to hook the branch."),
    s("Hooked the branch, smooth like butter, I am a professional mountain man.", echo("butter", "mountain man")),
    s("Let me grab some water, here is some music for you."),
    MUSIC,
    s("Okay, I am back, and I am hydrated, which makes me unstoppable.", joke("hydrated")),
    s(
        "Somebody in chat keeps saying Gnorp, what is a Gnorp?",
        ask("Gnorp", "a little guy", "Gnorp is life", "GNORP", "a rock guy", words=("Gnorp",)),
    ),
    s("Apparently a Gnorp is a little rock creature, I love him already.", echo("Gnorp")),
    s("Oh wait, we are getting a raid from Sparkle Kat, welcome raiders!", echo("Sparkle Kat", "raiders"), raid_before=True),
    s("Raiders, you have arrived at the worst possible moment, I am about to fall.", joke("worst possible moment")),
    s(
        "Chat, explain to the raiders what is happening.",
        ask("he is a man in a pot", "pirate time", "hammer man", "he fell", "welcome raiders", words=("raiders",)),
    ),
    s("Yes, thank you, I am a man in a pot, that is all you need to know.", joke("man in a pot")),
    s("Okay, the ice mountain, the final section, everything is slippery.", echo("ice mountain")),
    s("If I fall here, I go all the way down to the orange tree.", echo("orange tree")),
    s("Type one in chat if you are scared, because I am very scared.", call("1", words=("scared",))),
    s("Steady, steady, the hammer is on the ledge, just one more pull."),
    s("I fell, I fell all the way to the bottom, arr, the pirate returns.", joke("pirate", "arr")),
    s("Chat, spam Sadge, this is the saddest day of my life.", spam("Sadge")),
    s("You know what, we are not giving up, Hammer Mountain will not defeat me.", echo("Hammer Mountain")),
    s("Chat, do you believe in me?", ask("no", "yes", "Copium", "we believe", "no KEKW", words=("believe",))),
    s("Thank you to the three people who said yes, you are my real friends.", joke("real friends")),
    s("Somebody just gifted five subs, thank you, that is incredibly generous."),
    s("Chat, spam catJAM for the generous gifter.", spam("catJAM")),
    s("One more climb, from the orange tree, all the way up, let's go."),
    s("The orange tree is behind me now, I do not even look at the orange tree anymore.", echo("orange tree")),
    s("Chimney done, second time today, I am basically a chimney sweep.", joke("chimney sweep")),
    s("Chat, what do we call a man who climbs the chimney twice in one day?", ask("Santa", "chimney sweep", "Santa Doug", "a legend", "Santa", words=("chimney",))),
    s("Santa, chat says I am Santa, that is the nicest thing you have ever said."),
    s("Past the chimney, past the paint bucket, I am in the zone chat."),
    s("Type one in chat if you think this is the run.", call("1", words=("the run",))),
    s("And I slipped on the ice again, of course I did.", joke("ice")),
    s("I think we end here and try again on Friday.", echo("Friday")),
    s("Thank you so much for watching, and thank you Sparkle Kat for the raid.", echo("Sparkle Kat")),
    s("Goodbye chat, see you on Friday."),
]

DEMO_04 = [
    s("Good afternoon chat, welcome to the Pokemon stream.", echo("Pokemon")),
    s("Today is a Nuzlocke, which means if a Pokemon faints, it is gone forever.", echo("Nuzlocke")),
    s("And chat names every single Pokemon we catch, no exceptions."),
    s(
        "Professor Oak is asking me to pick a starter, chat, which one do we pick?",
        ask("Bulbasaur", "Charmander", "Squirtle", "Charmander", "Squirtle", words=("starter",)),
    ),
    s("Type one for Charmander, two for Squirtle.", call("1", "2", words=("Charmander", "Squirtle"))),
    s("Charmander wins, of course, chat loves fire.", echo("Charmander")),
    s(
        "Now chat, what do we name our Charmander?",
        ask("Sir Chonkers", "Spicy", "Toast", "Sir Chonkers", "Doug Junior", "Chonkers", words=("Charmander",)),
    ),
    s("Sir Chonkers, his name is Sir Chonkers, I am so sorry little guy.", echo("Sir Chonkers")),
    s("Sir Chonkers used scratch, it was not very effective.", joke("Sir Chonkers", "scratch")),
    s("Okay, route one, we are looking for our first wild Pokemon."),
    s("The grass is rustling, something is in the tall grass, chat, what is it?", ask("Rattata", "Pidgey", "a Bidoof", "Gerald", "a bug", words=("tall grass",))),
    s("It was a Caterpie, it ran away before I could even throw a ball.", joke("Caterpie", "ran away")),
    s("A Bidoof, we found a Bidoof, the most powerful creature in existence.", echo("Bidoof")),
    s("Chat, spam Pog for Bidoof.", spam("Pog")),
    s(
        "We caught the Bidoof, chat, what is his name going to be?",
        ask("Gerald", "Bidoof Prime", "Kevin", "Gerald", "Sir Bidoof", words=("Bidoof",)),
    ),
    s("Gerald the Bidoof, welcome to the team Gerald.", echo("Gerald")),
    s("Gerald knows tackle and absolutely nothing else.", joke("Gerald", "tackle")),
    s("A trainer wants to battle us, he has a Geodude.", echo("Geodude")),
    s("Type one in chat if we send out Gerald, two for Sir Chonkers.", call("1", "2", words=("Gerald", "Sir Chonkers"))),
    s("Gerald it is, go Gerald, show this rock what you are made of."),
    s("Gerald used tackle on Geodude, and it did one damage.", joke("one damage", "Gerald")),
    s("The Geodude fainted anyway, I think it was embarrassed.", joke("embarrassed")),
    s("The next trainer is a bug catcher with six Weedles, six of them.", echo("Weedle", "bug catcher")),
    s("Chat, spam KEKW, nobody needs six Weedles.", spam("KEKW")),
    s("Sir Chonkers burned every single Weedle, the bug catcher is crying.", joke("bug catcher", "crying")),
    s("Let me heal up at the Pokemon Center, here is some calming music."),
    MUSIC,
    s("Okay, Nurse Joy healed everyone, we are back in action.", echo("Nurse Joy")),
    s("Now we go to the first gym, the rock gym, with Gerald and Sir Chonkers."),
    s(
        "Chat, do you think we beat the gym on the first try?",
        ask("no", "yes", "Gerald will carry", "no chance", "Gerald diff", words=("gym",)),
    ),
    s("The gym leader sent out an Onix, that thing is the size of a building.", echo("Onix")),
    s("Sir Chonkers is a fire type, this is the worst possible matchup.", joke("matchup")),
    s("Chat, spam monkaS, we are in serious danger.", spam("monkaS")),
    s("Gerald, you are our only hope, go Gerald.", echo("Gerald")),
    s("Gerald landed a critical hit, Gerald is a legend.", echo("Gerald", "critical hit")),
    s("Onix used rock throw, and Gerald is hanging on with one health point.", joke("one health point")),
    s("Type one in chat to pray for Gerald.", call("1", words=("pray", "Gerald"))),
    s("Gerald survived, the prayers worked, we beat the gym.", echo("Gerald", "gym")),
    s("We got the Boulder Badge, chat, spam PogChamp.", spam("PogChamp")),
    s("Sir Chonkers is now level fourteen and he is evolving.", echo("evolving")),
    s("He evolved, Sir Chonkers is now a Charmeleon, a teenager with attitude.", joke("Charmeleon", "attitude")),
    s("Next we need a water type, there is a fishing spot right here."),
    s("We caught a Magikarp, the mightiest fish in all the land.", echo("Magikarp")),
    s(
        "Chat, what do we name the Magikarp?",
        ask("Wanda", "Fish Sticks", "Splashy", "Gerald two", "Fish Sticks", words=("Magikarp",)),
    ),
    s("Fish Sticks, his name is Fish Sticks, he knows splash.", echo("Fish Sticks")),
    s("Fish Sticks used splash, but nothing happened.", joke("splash", "nothing happened")),
    s("Type two in chat if Fish Sticks deserves a spot on the team.", call("2", words=("Fish Sticks",))),
    s("Fish Sticks evolves at level twenty, so we have to protect him until then."),
    s("Type one in chat if you think Fish Sticks becomes a Gyarados.", call("1", words=("Gyarados",))),
    s("Chat believes in Fish Sticks, I love this community so much."),
    s("A wild Zubat appeared, and another one, and another one.", joke("Zubat", "another one")),
    s("Chat, spam NotLikeThis, the cave is full of Zubats.", spam("NotLikeThis")),
    s("We escaped the cave with no deaths, Gerald is still alive.", echo("Gerald")),
    s("Here comes a rival battle, and the rival named his Pidgey Doug.", echo("Pidgey", "Doug")),
    s("He named a bird after me, chat, is that an insult or an honor?", ask("insult", "honor", "both", "insult KEKW", "it is an honor", words=("insult", "honor"))),
    s("Sir Chonkers used ember, and the Pidgey named Doug is defeated.", joke("ember", "Doug")),
    s("I just defeated myself, this is a very confusing day.", joke("defeated myself")),
    s("Next time we go to the water gym, with Fish Sticks leading the charge.", joke("Fish Sticks")),
    s("Okay, I think that is where we stop for today."),
    s("Thank you for watching chat, Gerald says goodbye.", echo("Gerald")),
]

SCRIPTS: dict[str, list[Line | MusicBreak]] = {
    "demo_01": DEMO_01,
    "demo_02": DEMO_02,
    "demo_03": DEMO_03,
    "demo_04": DEMO_04,
}

COUNTDOWN_WORDS = ("ten", "nine", "eight", "seven", "six", "five", "four", "three", "two", "one")
COUNTDOWN_FINALE = "let's go!"


def validate_script(vod_id: str, script: list[Line | MusicBreak]) -> None:
    """Fail early on a script the truth could not describe honestly.

    Echo words must occur in their line (the ground truth says chat echoes *these spoken
    words*), and no digit may appear (TTS and ASR spell digits differently).
    """
    if sum(isinstance(item, MusicBreak) for item in script) != 1:
        raise ValueError(f"{vod_id}: the script needs exactly one music break")
    for item in script:
        if isinstance(item, MusicBreak):
            continue
        if any(ch.isdigit() for ch in item.text):
            raise ValueError(f"{vod_id}: digits in {item.text!r}; write numbers as words")
        if item.cue is None:
            continue
        if item.cue.kind not in CUE_KINDS:
            raise ValueError(f"{vod_id}: unknown cue kind {item.cue.kind!r}")
        for word in item.cue.words:
            if word.lower() not in item.text.lower():
                raise ValueError(f"{vod_id}: echo word {word!r} is not in {item.text!r}")
