"""Word and line pools for the simulator: chat lines, pastas, insults, speech, account names.

Written for this generator alone (not shared with ``demo/``) so that filters and context
windows tuned on the demo VODs meet text they have never seen.  Pools are tuples (ordered:
determinism must not depend on set iteration order) and slot-filled templates rather than
fixed lines, because real chat rarely repeats itself word for word outside spam: a pool of a
few hundred fixed lines would look like one long copypasta to any duplicate filter.
"""

from __future__ import annotations

# ----------------------------------------------------------------------------- slot words
STREAMER_NAMES = ("doug", "dougie", "the streamer", "bro", "this man", "our guy", "big d")
GUEST_NAMES = ("marlowe", "pim", "gusto", "tabitha", "rocco", "jinx", "ferdinand", "old greg")
THINGS = (
    "boss", "map", "puzzle", "build", "car", "castle", "raft", "goose", "bridge", "level", "sword", "bucket",
    "wizard", "frog", "tower", "shop", "rocket", "monkey", "music", "mic", "camera", "intro", "ending", "plan",
    "strat", "timer", "chair", "hat", "sandwich", "cannon", "pigeon", "bean", "trampoline", "lever", "door",
    "robot", "spreadsheet", "cat", "crab", "dungeon", "chest", "cutscene", "soundtrack", "tutorial", "npc",
)
ADJECTIVES = (
    "insane", "cursed", "clean", "beautiful", "weird", "broken", "scuffed", "huge", "tiny", "perfect", "sus",
    "goated", "mid", "crazy", "unreal", "ugly", "cute", "loud", "slow", "fast", "wild", "illegal", "sick",
    "terrible", "fine", "chaotic", "spooky", "majestic", "sketchy", "genius",
)
VERBS_PAST = (
    "skipped", "missed", "broke", "jumped", "sold", "ate", "forgot", "yeeted", "found", "dropped", "ignored",
    "fixed", "lost", "named", "hugged", "launched", "read", "threw", "rerolled", "deleted",
)
VERBS = (
    "jump", "wait", "go back", "check the map", "save", "reload", "run", "hide", "read chat", "turn around",
    "open it", "sell it", "craft it", "pet it", "trust it", "zoom in", "ask chat", "use the shield",
)
ITEMS = ("key", "potion", "rope", "hammer", "map", "torch", "coin", "ticket", "shield", "ladder", "note", "battery")
PLACES = (
    "left", "right", "corner", "basement", "roof", "cave", "shop", "tree", "river", "door", "hallway", "chest",
    "wall", "bridge", "tower",
)
TIMES_OF_DAY = ("morning", "afternoon", "evening", "night")
ELSEWHERE = ("work", "school", "the gym", "my shift", "class", "practice", "the dentist", "church", "a long day")
FOODS = ("pizza", "cereal", "ramen", "tacos", "leftovers", "toast", "popcorn", "a burrito", "soup", "pancakes")
PETS = ("cat", "dog", "parrot", "hamster", "little brother", "grandma", "roommate", "girlfriend", "dad")
EXAMS = ("exam", "final", "interview", "flight", "shift", "presentation", "test", "meeting")
GAMES = ("the new one", "part two", "the sequel", "the dlc", "hard mode", "the old version", "the demo")
AGREE = (
    "true", "fr", "real", "thats fair", "i agree", "no shot", "lol yeah", "thats what i said", "facts",
    "hes not wrong", "exactly", "same", "nah", "idk about that", "based", "valid", "literally",
)

# ----------------------------------------------------------------------------- ordinary chat
# Slots: {streamer} {guest} {thing} {thing2} {adj} {verb_past} {verb} {item} {place} {tod}
# {elsewhere} {food} {pet} {exam} {game} {num} {user} {agree}
ORDINARY_TEMPLATES = (
    "hi {streamer}", "hello chat", "hey everyone", "good {tod} chat", "good {tod} {streamer}",
    "just got back from {elsewhere} what did i miss", "back from {elsewhere}", "first time catching a stream live",
    "been watching for {num} years and this is the best series", "whats the {thing} called",
    "what game is this", "is this {game}", "how long has he been live", "did he already do the {thing}",
    "when is {guest} coming back", "is {guest} here today", "wait is that a {thing}", "why is the {thing} {adj}",
    "this {thing} is {adj}", "the {thing} looks so {adj}", "the {thing} is actually {adj}", "i love this {thing}",
    "bro the {thing}", "no way he {verb_past} the {thing}", "he {verb_past} the {thing} again",
    "he always {verb_past} the {thing}", "go {place}", "go {place} go {place}", "use the {item}",
    "you missed the {item} behind the {thing}", "check the {place}", "there was a {item} in the {place}",
    "{verb} {streamer}", "just {verb}", "you have to {verb}", "{streamer} please {verb}", "dont {verb}",
    "i have a {exam} tomorrow and im here", "my {pet} is watching too", "my {pet} loves the {thing}",
    "eating {food} rn", "{food} and {streamer} name a better combo", "its {num} am here and im still watching",
    "chat is so {adj} today", "this chat is {adj}", "this series is so good", "the {thing} music goes hard",
    "clip that", "someone clip the {thing}", "@{user} {agree}", "@{user} {agree} lol", "{agree}",
    "@{user} the {thing} was {adj} tho", "@{user} he {verb_past} it earlier", "@{user} go {place}",
    "the {thing} and the {thing2} combo", "{thing} > {thing2}", "{thing2} was better than the {thing}",
    "rate the {thing} out of 10", "{num}/10 {thing}", "i would {verb} honestly", "that {thing} has no business being that {adj}",
    "who named the {thing}", "the way he {verb_past} the {thing} lmao", "lmao the {thing}", "imagine {verb_past} the {thing}",
    "the {thing} is my favourite character", "justice for the {thing}", "we need more {thing} content",
    "can we get a {thing} in chat", "hes gonna {verb} isnt he", "{streamer} has never seen a {thing} before",
    "{adj} {thing}", "thats a {adj} {thing}", "ok the {thing} is kinda {adj}", "not the {thing} again",
    "why does the {thing} have a {item}", "the {item} is right there", "he walked past the {item}",
    "{num} minutes on the {thing} lets go", "we been on this {thing} for {num} minutes", "is the {thing} optional",
    "did anyone else hear that", "what was that noise", "audio is kinda quiet", "mic is fine for me",
    "stream is lagging for me", "works fine here", "anyone else buffering", "1080p is back",
    "what time zone is he in", "how many hours is this game", "is there a part two", "he said {num} more minutes",
    "i just subbed to say the {thing} is {adj}", "saving this vod for later", "watching from my phone at {elsewhere}",
    "hope {guest} is doing well", "we miss {guest}", "tell {guest} i said hi", "{guest} would have {verb_past} the {thing}",
    "the chat sounds like a {thing}", "my {pet} just {verb_past} the {item}", "brb getting {food}", "back",
    "ok im back", "gotta go to {elsewhere} bye chat", "bye {streamer}", "see you tomorrow", "gn chat",
    "is it just me or is the {thing} {adj}", "the lighting on the {thing} is {adj}", "plot twist the {thing} was the {thing2}",
    "{thing} arc", "the {thing} saga continues", "new {thing} just dropped", "{thing} speedrun any%",
    "he is so close", "so close", "almost", "one more try", "he got this", "believe", "i believe in you {streamer}",
    "that was actually smart", "big brain", "thats not how that works", "that is not the {item}",
    "read the sign", "there is a sign", "look {place}", "behind you", "its behind you", "turn around",
)
ORDINARY_PROFANE = (
    "holy shit", "holy shit that was close", "what the fuck was that", "wtf was that", "damn", "damn that {thing} is {adj}",
    "hell yeah", "hell yeah {thing} time", "oh shit", "oh shit the {thing}", "this {thing} is so fucking {adj}",
    "fuck the {thing}", "the {thing} is bullshit", "no fucking way", "bro what the hell", "son of a bitch the {thing} again",
    "shit {thing}", "the {thing} goes fucking hard", "crap he {verb_past} it", "damn it i missed the {thing}",
)
LAUGHS = ("lol", "lmao", "LMAO", "lmaooo", "LMFAO", "hahaha", "HAHAHA", "haha", "xD", "im dead", "i cant", "dead", "LOL")
EMOJI = ("😂", "💀", "🔥", "😭", "👀", "❤️", "🙏", "😳")

# ----------------------------------------------------------------------------- reactions to speech
REACTION_ECHO_FORMS = (
    "{echo}", "{echo}", "{echo} lol", "{echo} lmao", "{ECHO}", "{ECHO}", "\"{echo}\"", "{echo} ?", "{echo}??",
    "did he just say {echo}", "he said {echo}", "{echo} is crazy", "{echo} LMAO", "not {echo}", "{echo} 💀",
    "{echo} {laugh}", "{ECHO} {laugh}", "wait {echo}", "{echo} {emote}", "{echo} {emote} {emote}", "{echo}!!",
    "\"{echo}\" {emote}", "bro said {echo}", "{echo} clip it",
)
REACTION_PLAIN = (
    "LMAO", "lmaooo", "KEKW", "no way", "NO WAY", "what", "WHAT", "huh", "wait what", "did he really say that",
    "what did he say", "he didnt", "he did not just say that", "oh no", "OH NO", "true", "real", "fair", "so true",
    "nah", "based", "W", "L", "W take", "L take", "hes right", "hes so wrong", "clip it", "CLIP IT", "💀", "HUH",
    "bro", "bruh", "lol", "i cant", "im crying", "the timing", "agreed", "facts", "yikes", "noooo", "YES", "NO",
    "he knew", "called it", "i called it", "why would you say that", "what does that even mean", "speechless",
)

# ----------------------------------------------------------------------------- votes
# (call kind, answer options, answer spellings per option)
VOTE_KINDS = (
    ("one_two", (("1", "1", "11", "111", "one", "1 {emote}", "ONE"), ("2", "2", "22", "222", "two", "2 {emote}", "TWO"))),
    ("w_l", (("W", "W", "WW", "WWW", "W W W", "dub"), ("L", "L", "LL", "LLL", "L L L", "ratio"))),
    ("yes_no", (("yes", "yes", "YES", "yeah", "y", "yes {emote}"), ("no", "no", "NO", "nope", "n", "no {emote}"))),
    ("a_b", (("a", "a", "A", "AAA", "option a"), ("b", "b", "B", "BBB", "option b"))),
)
VOTE_CALLS = {
    "one_two": (
        "alright chat vote one for the {thing} or two for the {thing2}",
        "chat type one if we {verb} and two if we dont",
        "ok one or two in chat right now one is the {thing} two is the {thing2}",
        "quick poll chat one for {guest} two for me",
    ),
    "w_l": (
        "chat is this a w or an l",
        "w or l chat be honest",
        "give me a w in chat if you think the {thing} is {adj} and an l if not",
    ),
    "yes_no": (
        "chat should i {verb} yes or no",
        "yes or no chat do we trust the {thing}",
        "type yes in chat if you want the {thing} and no if you hate fun",
    ),
    "a_b": (
        "chat a or b, a is the {thing} b is the {thing2}",
        "vote a or b in chat we are picking the {thing} now",
    ),
}

# ----------------------------------------------------------------------------- pastas, spam
COPYPASTAS = (
    "I have been watching this channel since it had eleven followers and a webcam held together with tape. "
    "I have seen the {thing} arc, the great {thing2} incident and the stream where the power went out twice. "
    "Never once have I seen a play this {adj}. I am printing this moment and putting it on my fridge.",
    "Excuse me, I am a professional {thing} analyst with twelve years of field experience. What you just did "
    "would have been grounds for immediate disqualification at the regional championship. I am contacting the "
    "committee. Please stay where you are.",
    "Dear diary, today {streamer} tried to {verb} and the {thing} said no. I cried for a bit. Then chat typed "
    "the same thing four hundred times and I felt less alone. Tomorrow I will be brave. Goodnight diary.",
    "This stream is sponsored by my mom who said I could stay up until the {thing} is finished. Mom if you are "
    "reading this I am doing homework. The homework is watching a grown man lose to a {thing2}.",
    "BREAKING NEWS: local streamer {verb_past} the {thing} live in front of thousands of witnesses. Scientists "
    "are baffled. Chat remains calm. More at eleven. This has been your nightly {thing2} report.",
    "Hello, I am the {thing}. I did not ask to be in this game. I had a family. I had dreams of becoming a "
    "{thing2}. Now I am being {verb_past} on stream for content. Please remember me as I was.",
    "Roses are red, the {thing} is {adj}, {streamer} said five minutes, that was an hour ago, we are still here, "
    "we will always be here, nobody is leaving, the {thing2} is eternal.",
    "Step one: open the game. Step two: ignore every sign. Step three: ask chat for help. Step four: ignore "
    "chat. Step five: {verb_past} the {thing}. Step six: blame the {thing2}. Repeat until sunrise.",
    "I showed this clip to my grandfather. He fought in no wars but he has played every {thing} game since 1987. "
    "He watched in silence. Then he stood up, turned off the television and said one word: unbelievable.",
    "Every time the {thing} appears I take a sip of water. I am now the most hydrated person on this continent. "
    "My doctor is proud. My bladder is not. Please stop showing the {thing}.",
    "Day {num} of asking {streamer} to {verb}. He has not listened. I will not give up. My children will ask "
    "and their children after them. The request will outlive us all.",
    "If the {thing} had a nickel for every time it got {verb_past} on this channel it would have enough money to "
    "buy a better {thing2} and leave this game forever, which honestly it deserves.",
)
SPAM_TEXTS = (
    "F", "o7", "LETS GOOO", "NO WAY", "HES BACK", "first", "+1", "CLIP IT", "RIGGED", "GG", "hi", "bye", "nice",
    "ez", "EZ Clap", "{emote} {emote} {emote}", "{thing} {thing} {thing}", "JUSTICE", "FREE {GUEST}", "REFUND",
    "WE LOVE YOU", "HAPPY BIRTHDAY", "BOOBA", "W STREAM", "DONT DO IT", "DO IT", "pls", "AAAAAA", "TRUE",
)
RAID_SPAM = ("{RAIDER} RAID {emote}", "{RAIDER} RAID", "{raider} raid {emote} {emote}", "{RAIDER} RAIDERS HERE")

# ----------------------------------------------------------------------------- toxicity (aimed at people; no slurs)
# {target} is talked about ("... is a clown"); {you} is talked to ("... you are a clown").
TOXIC_TARGETS = ("{streamer}", "this guy", "this streamer", "chat", "the mods", "@{user}", "{guest}", "this clown")
TOXIC_YOU = ("you", "@{user} you", "{streamer} you", "bro you", "honestly you")
TOXIC_TEMPLATES = (
    "{target} is a complete idiot", "{target} is so fucking bad at this", "{target} is trash", "shut the fuck up {target}",
    "nobody cares what {target} thinks", "{target} is a clown", "stop talking you moron", "get a real job loser",
    "{target} is the most annoying person alive", "go touch grass you absolute loser", "{target} is braindead",
    "what a dumbass", "{target} is a waste of space", "{you} are so stupid it hurts", "{target} cant play for shit",
    "shut up nobody asked", "{target} sucks ass", "unfollowed this garbage streamer", "{target} is pathetic",
    "imagine being this bad", "{target} is a fucking joke", "worst streamer on the platform",
    "{target} has the iq of a {thing}", "stfu {target}", "nobody likes {target}", "{target} is so cringe",
    "{you} are a loser", "you idiots are ruining chat", "{target} is a dumb piece of shit", "cry about it idiot",
    "{target} should quit streaming nobody watches", "{target} is actually stupid", "what a pathetic loser",
    "{you} are an embarrassment", "{you} are dumb as a rock", "{you} are so fucking annoying", "{you} are a joke",
    "{you} are garbage at this game", "{you} need to shut up", "{you} are the reason chat is unbearable",
    "{you} cant even read", "{you} are a massive tool", "{you} clown", "{you} talk like an idiot",
)

# ----------------------------------------------------------------------------- commands and bots
# command -> (reply probability weight, reply templates ({user} = asker))
COMMANDS = (
    ("!uptime", 0.95, ("{channel} has been live for {hours} hours {mins} minutes", "Stream uptime: {hours}h {mins}m")),
    ("!discord", 0.95, ("Join the community discord: discord.gg/{code}", "@{user} discord.gg/{code}")),
    ("!followage", 0.9, ("@{user} has been following {channel} for {num} months", "{user} followed {num} days ago")),
    ("!socials", 0.9, ("Twitter: @{channel} | YouTube: /{channel} | Instagram: @{channel}ig",)),
    ("!song", 0.8, ("Current song: {thing} theme (slowed) - unknown artist", "@{user} no song is playing right now")),
    ("!commands", 0.9, ("@{user} commands list: {channel}.site/commands",)),
    ("!points", 0.85, ("@{user} has {num}00 bean points", "{user} you have {num} points")),
    ("!lurk", 0.6, ("{user} is now lurking, enjoy the stream!", "Thanks for the lurk {user}")),
    ("!schedule", 0.9, ("Streams Mon Wed Fri at 2pm ET. Check !discord for changes.",)),
    ("!rules", 0.9, ("Be kind, no spoilers, no backseating unless asked. Mods have the final word.",)),
    ("!specs", 0.7, ("@{user} PC specs: {channel}.site/specs",)),
    ("!gamble {num}0", 0.7, ("@{user} won {num}0 points and now has {num}00 points!", "@{user} lost {num}0 points LUL")),
    ("!hug @{user2}", 0.3, ("{user} hugs {user2} <3",)),
    ("!clip", 0.5, ("@{user} clip created: clips.twitch.tv/{code}",)),
    ("!watchtime", 0.8, ("@{user} has watched {channel} for {num} hours",)),
    ("!quote", 0.8, ("Quote #{num}: \"{quote}\"",)),
    ("!game", 0.85, ("@{user} current game: {game_title}",)),
)
GAME_TITLES = ("Goose Kingdom", "Frog Fortress 2", "Super Bucket Deluxe", "Pigeon Simulator", "Castle Crunch", "Raft Rumble")
BOT_NOTICES = (
    "Follow {channel} on twitter for stream updates: twitter.com/{channel}",
    "Join the discord to hang out between streams: discord.gg/{code}",
    "Enjoying the stream? Hit follow so you dont miss the next one!",
    "Remember to stay hydrated chat. Mods have the final word.",
    "{user} just followed! Welcome to the bean team",
    "{user} just redeemed Hydrate!",
    "{user} just redeemed {thing} sound effect",
    "Now playing: {thing} theme (lofi remix)",
    "{user}, please don't post links without permission. [warning]",
    "{user} -> Stop using caps please. [warning]",
    "A wild {thing} appears! Catch it with !pokecatch",
    "{user} tipped ${num}.00! Thank you!",
    "Prediction started: will {streamer} {verb}?",
    "Giveaway ends in 5 minutes! Type !join to enter",
)
TIMER_TEXTS = (
    "Use code {code} for 10% off at {channel}.shop",
    "Check out the new merch: {channel}.shop",
    "Like the stream? A follow goes a long way <3",
    "Reminder: be nice in chat, this is a cozy stream",
    "New videos every Sunday on youtube.com/@{channel}",
    "Stream schedule is in the panels below",
    "Vote for the next game at {channel}.site/vote",
    "Turn on notifications so you know when we go live",
    "Watch party this Saturday! Details in the discord",
    "Clip something funny? Post it in the discord #clips channel",
)
# Unlisted accounts: some look like bots, some like people (a channel's own helpers).
TIMER_ACCOUNTS = ("beanhelper", "dougs_minion", "merch_reminder", "cozy_timer", "stream_assistant", "frogwatch", "announcer_andy", "the_clipboard")
RESPONDER_ACCOUNTS = ("chatcompanion", "beanbutler", "helperfrog", "ask_marvin", "channel_steward")

# ----------------------------------------------------------------------------- system messages
SUB_TEXTS = (
    "{display} subscribed with Prime.",
    "{display} subscribed at Tier 1.",
    "{display} subscribed at Tier 1. They've subscribed for {num} months!",
    "{display} subscribed at Tier 2. They've subscribed for {num} months, currently on a {num2} month streak!",
    "{display} subscribed with Prime. They've subscribed for {num} months!",
    "{display} gifted a Tier 1 sub to {other}!",
    "{display} is gifting {num} Tier 1 Subs to {channel}'s community! They've gifted a total of {num2} in the channel!",
    "{display} is continuing the Gift Sub they got from {other}!",
)
SUB_MESSAGES = (
    "love the streams", "{num} months lets go", "best channel on twitch", "hi {streamer}", "the {thing} made me sub",
    "thanks for the laughs", "happy {num} months to me", "keep it up",
)
NOTICE_TEXTS = (
    "{display} watched {num} consecutive streams this month and sparked a watch streak!",
    "{display} just earned a new {num}K Bits badge!",
    "{display} converted from a Prime sub to a Tier 1 sub!",
    "Announcement: {channel} merch sale ends tonight",
    "Announcement: no spoilers for the ending please",
    "Announcement: the next stream is on Friday",
)
MODE_NOTICES = (
    ("slow_on", "This room is now in slow mode. You may send messages every {num} seconds."),
    ("slow_off", "This room is no longer in slow mode."),
    ("emote_only_on", "This room is now in emote-only mode."),
    ("emote_only_off", "This room is no longer in emote-only mode."),
    ("subs_on", "This room is now in subscribers-only mode."),
    ("subs_off", "This room is no longer in subscribers-only mode."),
    ("followers_on", "This room is now in {num} minute followers-only mode."),
)

# ----------------------------------------------------------------------------- speech
SPEECH_TEMPLATES = (
    "okay so the plan is we {verb} before {guest} notices",
    "chat i genuinely think this {thing} is {adj}",
    "wait wait wait what is that",
    "oh no oh no no no no",
    "{guest} come here look at this {thing}",
    "alright we are putting everything on the {thing}",
    "i have never seen a {thing} this {adj} in my entire life",
    "that is the most {adj} {thing} i have ever seen",
    "no no that is not the {item} that is a {thing2}",
    "why would they put a {thing} in the {place}",
    "okay okay we are fine we are totally fine",
    "i am going to {verb} and nobody can stop me",
    "that was my fault that was completely my fault",
    "the {thing} is staring at me chat why is it staring",
    "if this works i am a genius if it does not it was {guest}",
    "we need the {item} the {item} is the key to everything",
    "hold on let me read chat for a second",
    "chat is telling me to {verb} i am not going to {verb}",
    "remember the {thing} from last stream it is back",
    "this is the best {thing} in the game and i will die on this hill",
    "look at him look at the little {thing} go",
    "i named the {thing} {guest} junior and i love him",
    "okay that was {adj} let us never do that again",
    "do not tell me where the {item} is i want to find it myself",
    "fine i will check the {place} but i am telling you it is not there",
    "oh it was there it was in the {place} the whole time",
    "ladies and gentlemen the {thing} has been defeated",
    "this music slaps who made this music",
    "i think the {thing} is actually a {thing2} in disguise",
    "thank you so much for the sub {user} welcome to the bean team",
    "thank you for the raid welcome in everybody",
    "we are {num} minutes in and i already regret everything",
    "give me one second my {pet} is knocking on the door",
    "all right i am going to be honest with you chat i have no idea where we are",
    "there is no way that worked there is absolutely no way",
    "the {thing} just {verb_past} the {thing2} did you see that",
    "that {thing} has a family and i just {verb_past} it",
    "it is pronounced {thing} not {thing2} i will not be taking questions",
    "we are doing a {thing} speedrun starting now",
    "ok new rule every time i die we {verb}",
    "{guest} is going to be so mad when they see this",
    "i am the {thing} now this is my {place}",
    "cannot believe the {thing} betrayed us like that",
    "that is a {adj} {thing} i respect that {thing}",
    "let me cook chat let me cook",
    "i was joking about the {thing} but now i am curious",
    "okay we are back from the break what did i miss",
    "hydrate check everyone drink some water",
)
SPEECH_FILLERS = ("um", "uh", "like", "so", "okay", "yeah", "right", "anyway", "honestly", "literally")

# ----------------------------------------------------------------------------- account names
NAME_HEADS = (
    "sleepy", "dark", "tiny", "mega", "silent", "lucky", "crispy", "cosmic", "salty", "fuzzy", "grumpy", "happy",
    "lazy", "quick", "frosty", "spicy", "moldy", "noble", "chunky", "wobbly", "golden", "rusty", "sneaky", "soggy",
    "angry", "sad", "holy", "retro", "pixel", "neon", "turbo", "ultra", "captain", "sir", "lord", "big", "lil",
    "king", "queen", "doctor", "mister", "agent", "baron", "shadow", "laser", "bean", "toast", "cheese", "pickle",
)
NAME_TAILS = (
    "otter", "panda", "wizard", "goblin", "noodle", "potato", "gamer", "falcon", "badger", "walrus", "toaster",
    "muffin", "ninja", "knight", "pigeon", "raccoon", "cactus", "squid", "moose", "lemon", "taco", "bagel",
    "frog", "duck", "bear", "fox", "wolf", "shark", "yeti", "ghost", "robot", "pirate", "viking", "dragon",
    "hamster", "llama", "beetle", "slug", "penguin", "crab", "mango", "waffle", "gremlin", "spud", "biscuit",
    "chungus", "boi", "dude", "guy", "enjoyer", "fan", "main", "andy", "kid", "lad", "tv", "ttv", "yt",
)
RAIDER_CHANNELS = ("pixelpudding", "thegoosegamer", "mossyknight", "captaincrumb", "velvetvortex", "lofi_larry", "brickbybrick_tv")
