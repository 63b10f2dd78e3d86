"""Generic word pools of the story grammar: the everyday words of a young child's world.

Topic keywords (the words each topic's regex looks for, see topics.py) never appear here, so a story
mentions a topic only when the topic takes part in it. Each pool is a list of templates (mostly plain
words); pools are joined with the topics' own pools into one Grammar in grammar.py.
"""

from __future__ import annotations

from typing import Dict, List


def _w(text: str) -> List[str]:
    """Space-separated entries; '_' joins multi-word entries."""
    return [x.replace("_", " ") for x in text.split()]


GIRL_NAMES = _w("""Lily Mia Sue Anna Emma Lucy Ella Zoe Amy Rose Sara Kate Jane Molly Daisy Ruby Lola Nina Tina Maya
Ivy Hannah Grace Chloe Ava Bella Julia Nora Sophie Alice Clara Eva Hazel Jenny Kim Lila Olive Penny Rosie Sally""")
BOY_NAMES = _w("""Tom Ben Max Sam Jack Leo Tim Joe Finn Jake Noah Luke Alex Billy Bobby Danny Eli Henry Jimmy Kevin
Liam Mark Nick Oscar Pete Ryan Teddy Toby Will Zack Adam Charlie Dylan Ethan Frank George Harry Ian Oliver Owen""")
PET_NAMES = _w("Spot Fluffy Sparky Bubbles Pip Coco Sunny Buttons Patch Ziggy Pickles Biscuit Muffin Peanut Rocky")

POOLS: Dict[str, List[str]] = {
    "animal": _w("""bunny rabbit mouse fox owl duck hen chick goose pig cow horse pony sheep lamb goat donkey squirrel
deer turtle snail ant butterfly ladybug worm spider lion tiger elephant monkey giraffe zebra hippo bat whale
dolphin crab octopus seal penguin kangaroo koala panda wolf raccoon hedgehog beaver otter skunk moose camel parrot
swan crow robin eagle rooster lizard snake dinosaur unicorn caterpillar hamster chipmunk beetle grasshopper
cricket firefly dragonfly mole badger turkey goldfish seahorse starfish jellyfish walrus gorilla cheetah
flamingo pelican ostrich llama alligator buffalo bull calf chimpanzee cougar coyote crane dove ferret
gerbil gecko heron hummingbird iguana jaguar leopard lobster magpie mule newt opossum orangutan owlet panther
pigeon platypus porcupine puffin quail reindeer rhino salamander sloth sparrow stork tadpole toad vulture
weasel woodpecker yak"""),
    "small_animal": _w("bunny mouse chick duck squirrel snail ant ladybug butterfly hamster turtle lamb hedgehog"),
    "food": _w("""apple banana pear peach plum grape orange lemon cherry strawberry blueberry raspberry melon watermelon
carrot pea bean corn potato tomato pumpkin salad soup bread toast butter jam cheese egg rice pasta noodle pizza
sandwich pancake waffle muffin pie candy lollipop popcorn cereal yogurt cracker peanut sausage chocolate
ice_cream cupcake donut broccoli spinach onion cucumber mango coconut oatmeal porridge biscuit pretzel bagel
meatball taco burrito dumpling omelet apricot avocado blackberry cabbage celery cinnamon_roll cranberry
fig granola gumdrop hamburger jelly marshmallow nectarine olive papaya pineapple radish raisin
tangerine toffee turnip zucchini lasagna pudding custard fudge macaroni"""),
    "drink": _w("milk juice water lemonade tea cocoa apple_juice orange_juice hot_chocolate"),
    "meal": _w("breakfast lunch dinner supper snack"),
    "toy": _w("""doll block puzzle crayon yo-yo top whistle marble puppet rattle truck wagon scooter skateboard hoop
jigsaw sticker bead jump_rope spinning_top toy_horse rag_doll toy_truck wooden_duck
sandcastle_set tea_set dollhouse play_tent rocking_horse jack-in-the-box xylophone"""),
    "object": _w("""box basket bucket shovel spoon cup bowl plate fork pan pot jar bottle bag backpack key lamp clock bell
shell stone pebble rock stick leaf feather coin map mirror tent umbrella rope net ladder hammer nail brush pencil
paper glue scissors tape string towel sponge soap toothbrush comb cushion rug blanket pillow button ribbon
sock candle flashlight envelope letter present gift card picture photo magnet compass whistle acorn pinecone
lunchbox hanger marker notebook eraser ruler crown_jewel bandage basketful treasure_chest
flag trophy medal wallet purse watch glasses necklace chain lock padlock shoelace zipper thimble needle
thread yarn quilt cradle wheelbarrow rake hose watering_can birdhouse"""),
    "furniture": _w("chair table bed door window shelf drawer sofa stool bench cupboard desk closet couch"),
    "room": _w("kitchen bedroom bathroom living_room attic basement hallway porch garage playroom"),
    "home": _w("house cottage hut cabin little_house apartment treehouse farmhouse"),
    "place": _w("""park garden yard street road path hill mountain forest woods meadow field river lake pond island cave
village town city shop store market library zoo playground valley jungle desert bakery bridge tower
museum toy_shop candy_store pet_shop bus_stop post_office town_square orchard"""),
    "nature": _w("sun sky cloud wind grass sand water puddle mud dirt branch bush log seed root stone hill path"),
    "color": _w("red blue green yellow orange purple pink brown black white gray gold silver"),
    "size": _w("big small little tiny huge tall short long round"),
    "adj": _w("""soft hard warm cold hot cool wet dry clean dirty shiny bright dark quiet loud fast slow kind nice
good funny silly brave shy smart gentle friendly pretty beautiful old new young fluffy fuzzy bumpy smooth sticky
sweet sour yummy tasty heavy light strong busy lazy sleepy hungry thirsty tired grumpy proud curious careful
messy neat fancy plain special secret empty full deep high wide sharp pointy fresh giant wild cozy noisy lucky
wise calm wiggly sparkly cheerful naughty polite clever spotted striped chubby skinny tidy squeaky
bouncy crunchy dusty fluffy frosty glittery golden gloomy hairy juicy lumpy muddy prickly rusty salty scratchy
shaggy slimy snug soggy speckled spiky stinky stripy sunny swift tangled toasty wobbly woolly zigzag"""),
    "feeling": _w("""happy sad glad scared afraid angry upset worried excited surprised proud sorry lonely jealous nervous
calm bored brave shy grateful thankful curious confused silly cheerful joyful hopeful grumpy"""),
    "good_feeling": _w("happy glad proud excited cheerful joyful thankful calm safe warm"),
    "bad_feeling": _w("sad scared worried upset lonely angry nervous confused grumpy"),
    "family": _w("mom dad grandma grandpa sister brother aunt uncle cousin"),
    "job": _w("baker cook teacher nurse builder singer dancer driver pilot sailor fisherman mailman gardener tailor"
              " dentist"),
    "number": _w("two three four five six seven eight nine ten"),
    "adverb": _w("""slowly quickly quietly happily sadly carefully gently loudly softly proudly bravely slowly
together fast"""),
    "time": _w("""morning afternoon evening day week Monday Sunday summer winter spring fall"""),
    "weekday": _w("Monday Tuesday Wednesday Thursday Friday Saturday Sunday"),
    "season": _w("spring summer fall winter"),
    "body": _w("nose ear eye hand foot arm leg knee toe finger head tummy back"),
    "clothes": _w("""hat cap coat jacket scarf mitten glove boot sock shoe sandal dress skirt shirt sweater pajamas
belt apron cape vest necklace bracelet"""),
    "walked": _w("walked ran hopped skipped marched raced wandered strolled tiptoed jogged"),
    # actions that fit "liked to ..." / "let's ..." (base form), and their past form for narration
    "activity": _w("""run jump hop skip climb dance swim walk play laugh read draw build dig clap spin roll hide explore
count color sing whistle cook help share wiggle splash giggle rest nap stretch"""),
    "did_activity": [
        "played hide and seek", "built a fort out of {pl:furniture}", "drew a picture of {a:animal}",
        "dug a hole in the {nature}", "counted the {pl:object} in the {room}", "danced in the {room}",
        "made a necklace from {pl:object}", "played tag with {his} {family}", "sang a silly tune",
        "read a story with {his} {family}", "cooked {food} with {his} {family}", "cleaned {his} {room}",
        "fed the {pl:small_animal}", "jumped over a {size} {object}", "rolled down the {place}",
        "hid behind the {furniture}", "stacked {pl:toy} on the {furniture}", "helped {his} {family} wash the {pl:object}",
        "looked for {pl:object} in the {place}", "played with {his} {toy}", "sorted {his} {pl:toy} by color",
        "made a hat out of {object}", "picked {pl:food} from the {place}", "played a game with {pl:object}",
    ],
    "daily": [
        "{He} liked to {activity} in the {place}.", "Every {time}, {he} {did_activity}.",
        "{He} loved {his} {color} {toy} more than anything.", "{His} {family} worked as {a:job} in the {place}.",
        "{He} had {a:size} {toy} and {a:adj} {toy}.", "{He} often {did_activity} after {meal}.",
        "{He} lived in {a:adj} {home} near the {place}.", "{His} favorite food was {food}.",
    ],
    "filler": [
        "{He} ate {a:food} and drank some {drink}.", "{He} put on {his} {color} {clothes} and {his} {clothes}.",
        "Outside, the {nature} was {adj} and {adj}.", "{He} {walked} {adverb} to the {place}.",
        "At the {place}, {he} saw {a:animal} and {a:animal}.", "The {animal} {animal_did}.",
        "{He} found {a:adj} {object} under the {furniture}.", "{He} counted {number} {pl:animal} by the {place}.",
        "{He} {did_activity} with {F}.", "It was {a:adj} {time}, and the {nature} was {adj}.",
        "{His} {family} made {food} for {meal}.", "{He} picked up {a:size} {object} and put it in {his} {object}.",
        "{He} sat on the {furniture} and looked out of the window.", "{He} waved at {a:animal} on the {place}.",
        "The {room} smelled like {food}.", "{He} and {F} {walked} {adverb} down the {place}.",
        "{He} gave {F} {a:color} {object}.", "On the way, {he} met {a:adj} {animal} named {P}.",
        "On {weekday}, {he} went to the {place} with {his} {family}.", "It was {season}, and the {nature} was {adj}.",
        "{He} bumped {his} {body}, but {he} was brave and did not cry.", "{He} washed {his} {body} and {his} {body}.",
        "{He} wore {his} {adj} {clothes} because it was {weather}.", "{His} {family} read {him} a story about {a:animal}.",
        "{He} saw {number} {pl:animal} near the {place}.", "They had {food} and {food} for {meal}.",
        "{He} drew {a:shape} and colored it {color}.", "{A_vehicle} drove past the {place}.",
        "{He} heard {a:animal} {sound} in the {place}.", "{He} had {number} {pl:object} in {his} {object}.",
        "{He} was {feeling} because {his} {family} was away.", "{His} {clothes} was {color} with {color} {pl:shape}.",
        "{He} helped {his} {family} {chore}.", "The {insect} crawled on a {nature}.",
    ],
    "shape": _w("circle square triangle heart diamond oval star"),
    "weather": _w("windy sunny cold hot chilly cloudy warm foggy"),
    "A_vehicle": ["A {vehicle}", "A {color} {vehicle}", "A big {vehicle}"],
    "vehicle": _w("bus truck van tractor plane helicopter ship taxi ambulance scooter wagon jeep"),
    "sound": _w("squeak squawk chirp growl hoot howl hum quack moo oink neigh"),
    "insect": _w("ant beetle ladybug caterpillar worm spider cricket grasshopper"),
    "chore": ["wash the dishes", "sweep the floor", "fold the clothes", "set the table", "water the plants",
              "feed the {pl:small_animal}", "carry the groceries", "make the bed", "clean the windows", "sort the socks"],
    "animal_did": [
        "was eating {a:food}", "ran away", "hid under a {furniture}", "said hello", "took a nap in the {nature}",
        "jumped over a log", "looked at {him} with {size} eyes", "waved its tail", "was looking for {food}",
        "sat on a {object}", "sneezed", "did a funny dance",
    ],
    "greeting": _w("Hello Hi Good_morning Hey Good_day"),
    "talk": [
        "\"{greeting}, {F}!\" said {N}.", "\"Do you want to play with me?\" asked {N}.",
        "\"Yes, let's {activity} together!\" said {F}.", "{N} said, \"I am so {feeling} today!\"",
        "\"What is that?\" asked {F}.", "\"Look at this!\" said {N}. \"It is so {adj}!\"",
        "\"I am {feeling},\" said {N} quietly.", "\"Come with me,\" said {F}. \"I know a {adj} place.\"",
    ],
    "helper": ["{his} {family}", "{F}", "{a:adj} {animal}", "{his} friend {F}", "a kind {job}"],
    "moral": [
        "sharing is good", "it is good to be kind", "you should always be careful", "helping others makes you happy",
        "being brave is important", "friends help each other", "it is okay to ask for help", "trying again is good",
        "you should listen to your {family}", "saying sorry makes things better", "being patient pays off",
    ],
    "ending": [
        "From that day on, {N} and {F} were best friends.", "{N} learned that {moral}.",
        "That night, {N} went to bed with a big smile.", "{N} felt {good_feeling} and {good_feeling}.",
        "{N} hugged {his} {family} and said, \"Thank you!\"", "Everyone was {good_feeling}, and they all had {food} for {meal}.",
        "{N} never forgot that {adj} day.", "And {N} always remembered that {moral}.",
    ],
    "opening": [
        "Once upon a time, there was {a:kid_adj} {kid} named {N}.", "Once there was {a:size} {kid} called {N}.",
        "One day, {a:kid_adj} {kid} named {N} woke up early.", "{N} was {a:kid_adj} {kid} who lived in {a:home}.",
        "Once upon a time, in {a:adj} {village}, there lived {a:kid} named {N}.",
        "There once was {a:size} {kid} named {N}.", "One {time}, {N} went outside to play.",
        "A long time ago, there was {a:kid_adj} {kid} named {N}.",
    ],
    "kid_adj": _w("""kind happy little brave shy curious clever funny gentle cheerful friendly smart silly sweet polite
busy sleepy young playful careful helpful"""),
    "village": _w("village town city valley forest hill"),
    "problem_open": ["But then, something {bad_adj} happened.", "Suddenly, {N} heard a loud noise.",
                     "But one day, there was a problem.", "Then {N} saw something {bad_adj}."],
    "bad_adj": _w("strange bad sad scary surprising odd"),
    "resolve_open": ["Then {N} had an idea.", "{N} thought and thought.", "Just then, {helper} came by.",
                     "{N} did not give up.", "{N} took a deep breath."],
}
