"""A small multilingual concept glossary: everyday creator-niche words in six languages.

Rosters are multilingual and the local MiniLM model is English-first, so an English brief about
cats barely sees a bio about "Katzen" or "gatos". Each line below is one concept: its usual words
in English, German, Spanish, French, Portuguese and Italian. Words on one line match each other
in the lexical evidence and expand the lexical query; nothing else uses them.

The vocabulary is generic (the niches creators commonly describe themselves by), not taken from
any brief or roster. A word whose stem sits on two lines is ambiguous and is left out.
"""

from __future__ import annotations

import functools

from retrieval.terms import stem

CONCEPTS: tuple[str, ...] = (
    # food and drink
    "coffee kaffee café cafe caffè caffe",
    "tea chá",
    "roast roasting roaster roastery rösten röste rösterei röstung tostar tostado tostador "
    "torréfier torréfaction torréfacteur torrar torrefação tostare torrefazione",
    "beer bier cerveza bière cerveja birra",
    "brewery brauerei cervecería brasserie cervejaria birrificio",
    "wine wein vino vin vinho",
    "vineyard weinberg viñedo vignoble vinha vigneto",
    "cocktail cocktails cóctel coquetel",
    "cook cooking kochen cocinar cocina cuisine cuisiner cozinhar cozinha cucina cucinare",
    "recipe rezept receta recette receita ricetta",
    "bread brot pão pane",
    "bake baking baker backen bäcker hornear panadero pâtisserie boulanger assar padeiro",
    "sourdough sauerteig levain",
    "vegan veganer vegano vegana végane végétalien",
    "vegetarian vegetarisch vegetariano végétarien",
    "plant-based pflanzlich",
    "meat fleisch carne viande",
    "legumes hülsenfrüchte legumbres légumineuses leguminosas legumi",
    "chocolate schokolade chocolat cioccolato",
    "cheese käse queso fromage queijo formaggio",
    "food essen comida nourriture cibo",
    "kitchen küche",
    "restaurant restaurante ristorante",
    "market markt mercado marché mercato",
    # sport and outdoors
    "gym fitnessstudio gimnasio",
    "strength kraft fuerza force força forza",
    "workout training entrenamiento entraînement treino allenamento",
    "run running runner laufen läufer correr corredor corrida courir coureur corsa",
    "marathon marathons maratón maratona",
    "trail trails sentier",
    "bike bicycle cycling cyclist fahrrad radfahren radfahrer bici bicicleta ciclismo ciclista "
    "vélo cycliste bicicletta",
    "hike hiking hiker wandern wanderer wanderung senderismo excursionista randonnée randonneur "
    "trilha caminhada escursionismo",
    "mountain mountains berg berge montaña montañas montagne montagnes montanha montanhas montagna",
    "climb climbing climber klettern kletterer escalada escalador escalade grimpeur arrampicata",
    "camp camping zelten acampar campeggio",
    "swim swimming schwimmen nadar natación natation natação nuoto",
    "surf surfing surfen surfista",
    "ski skiing skifahren esquí esquiar sci",
    "meditation meditieren meditación méditation meditação meditazione",
    "breath breathing atmen atmung respiración respiration respiração respirazione",
    "sport sports deporte deportes esporte",
    "football fußball fútbol futebol calcio",
    "nature natur naturaleza natureza natura",
    "outdoor outdoors draußen",
    "garden gardening garten gärtnern jardín jardinería jardin jardinage jardim jardinagem "
    "giardino giardinaggio",
    "plant plants pflanze pflanzen planta plantas plante plantes pianta piante",
    "houseplant houseplants zimmerpflanzen",
    "farm farmer farming bauernhof landwirt landwirtschaft granja agricultor agricultura ferme "
    "agriculteur fazenda fattoria agricoltore",
    "soil boden suelo suolo",
    # travel and places
    "travel traveling travelling traveller traveler reisen reise reisende viajar viaje viajero "
    "voyage voyager voyageur viagem viajante viaggio viaggiare",
    "trip trips ausflug excursión viagens",
    "backpack backpacking backpacker rucksack mochila mochilero zaino",
    "hostel hostels herberge albergue auberge",
    "road roads straße carretera route estrada strada",
    "van vanlife wohnmobil furgoneta fourgon kombi furgone",
    "city stadt ciudad ville cidade città",
    "beach strand playa plage praia spiaggia",
    "sea ocean meer mar océano océan oceano",
    "island insel isla île ilha isola",
    # style and beauty
    "fashion moda",
    "style stil estilo",
    "clothes clothing kleidung ropa vêtements roupa roupas vestiti",
    "thrift thrifting secondhand second-hand gebraucht friperie brechó usato",
    "sustainable sustainability nachhaltig nachhaltigkeit sostenible sostenibilidad durabilité "
    "sustentável sustentabilidade sostenibile",
    "zero-waste unverpackt",
    "repair repairs reparieren reparatur reparar reparación réparer réparation conserto riparare",
    "sew sewing nähen coser costura couture costurar cucire",
    "knit knitting stricken tejer tricot tricoter tricô maglia",
    "beauty schönheit belleza beauté beleza bellezza",
    "skincare hautpflege",
    "skin piel peau pele pelle",
    "makeup make-up schminke maquillaje maquillage maquiagem trucco",
    "hair haare cabello pelo cheveux cabelo capelli",
    "sneaker sneakers turnschuhe zapatillas tênis",
    "shoe shoes schuhe zapatos chaussures sapatos scarpe",
    # home and making
    "home zuhause hogar casa maison",
    "house haus",
    "interior interiors einrichtung interiorismo intérieur decoração arredamento",
    "diy heimwerken bricolaje bricolage",
    "wood holz madera bois madeira legno",
    "woodworking carpentry holzarbeit tischler carpintería menuiserie marcenaria falegnameria",
    "craft crafts handwerk basteln artesanía artisanat artesanato artigianato",
    "tool tools werkzeug herramienta herramientas outil outils ferramenta ferramentas attrezzi",
    "clean cleaning putzen limpiar limpieza nettoyage ménage limpeza pulizia",
    # family and life
    "parent parents parenting eltern genitori",
    "mother mom mum mutter mama madre mère mãe",
    "father dad vater papa padre père pai",
    "baby babies bebé bébé bebê neonato",
    "child children kid kids kinder niño niños niña enfant enfants criança crianças "
    "bambino bambini",
    "family familie familia famille família famiglia",
    "pregnancy pregnant schwangerschaft schwanger embarazo embarazada grossesse grávida gravidanza",
    "school schule escuela colegio école escola scuola",
    "teacher teachers teaching lehrer lehrerin unterrichten profesor profesora maestra maestro "
    "enseignant enseignante professeur maîtresse professora insegnante",
    "student students studium estudiante estudiantes étudiant étudiante estudante studente",
    "classroom klassenzimmer aula classe",
    "learn learning lernen aprender apprendre imparare",
    "book books buch bücher libro libros livre livres livro livros",
    "read reading reader lesen leser leer lectura lector lire lecteur ler leitura leggere lettura",
    "novel novels roman romane novela novelas romanzo",
    "library bibliothek biblioteca bibliothèque",
    "money geld dinero dinheiro argent soldi",
    "budget budgeting haushaltsbuch presupuesto orçamento bilancio",
    "save saving sparen ahorrar ahorro épargne économiser poupar poupança risparmiare",
    "debt schulden deuda dette dívida debito",
    "invest investing investment investieren invertir inversión investir investissement "
    "investimento",
    "finance finances finanzen finanzas finanças finanza",
    "work job arbeit beruf trabajo travail emploi trabalho emprego lavoro",
    "office büro oficina bureau escritório ufficio",
    "health gesundheit salud santé saúde salute",
    "anxiety angst ansiedad anxiété ansiedade ansia",
    "sleep schlaf schlafen dormir sueño sommeil",
    "disability disabled behinderung discapacidad handicap deficiência disabilità",
    "wheelchair rollstuhl",
    "accessible accessibility barrierefrei accesible accesibilidad accessibilité acessível "
    "acessibilidade accessibile",
    "autism autistic autismus autistisch autismo autista autisme",
    "senior seniors older rentner jubilado retraité aposentado pensionato",
    "aging ageing envejecer vieillir envelhecer invecchiare",
    # animals
    "pet pets haustier haustiere mascota mascotas",
    "dog dogs hund hunde perro perros chien chiens cão cães cani",
    "puppy welpe chiot filhote cucciolo",
    "cat cats katze katzen kater gato gatos gata gatto gatti",
    "kitten kätzchen gatito chaton gatinho gattino",
    "rescue rescued rettung rescate rescatado sauvetage resgate salvataggio",
    "shelter tierheim refugio protectora refuge abrigo rifugio",
    "adopt adoption adoptieren adoptar adopción adopter adotar adozione",
    "horse pferd caballo cheval cavalo cavallo",
    "animal animals animales animaux animais animali",
    "bird birds vogel vögel pájaro pájaros aves oiseau oiseaux pássaros uccelli",
    "wildlife tierwelt fauna",
    # media and tech
    "game games gaming gamer spiel spiele spielen juego juegos jugar jeu jeux jogo jogos "
    "gioco giochi",
    "videogame videogames videospiel videojuego videojuegos videogioco",
    "music musik música musique musica",
    "song songs lieder canción canciones chanson chansons canção canções canzone",
    "photo photos photography photographer foto fotos fotografie fotograf fotografía "
    "fotógrafo photographie photographe fotografia fotografo",
    "camera kamera cámara caméra câmera",
    "film films movie movies filme película películas cinéma cinema",
    "art kunst arte",
    "draw drawing zeichnen dibujar dibujo dessin dessiner desenho desenhar disegno",
    "paint painting malen malerei pintar pintura peinture peindre dipingere",
    "phone phones smartphone teléfono móvil téléphone celular telefone telefono",
    "tech technology technik technologie tecnología tecnologia",
    "computer computers ordenador ordinateur computador",
    "review reviews bewertung rezension reseña análisis critique análise recensione",
    "science wissenschaft ciencia science ciência scienza",
    "history geschichte historia histoire história storia",
    "car cars auto autos coche coches voiture voitures carro carros macchina",
)


@functools.cache
def _concepts() -> dict[str, int]:
    """Stem of every listed word (each word of a multi-word entry counts alone) -> concept."""
    owners: dict[str, set[int]] = {}
    for number, line in enumerate(CONCEPTS):
        for word in line.split():
            owners.setdefault(stem(word), set()).add(number)
    return {key: next(iter(lines)) for key, lines in owners.items() if len(lines) == 1}


@functools.lru_cache(maxsize=65_536)
def concept_key(word_stem: str) -> str:
    """The key two words must share to match: their concept's, else the stem itself."""
    number = _concepts().get(word_stem)
    return word_stem if number is None else f"#{number}"


def concept_of(word_stem: str) -> int | None:
    """The number of ``word_stem``'s concept (its line in ``CONCEPTS``), if it has one."""
    return _concepts().get(word_stem)


def translations(word_stem: str) -> list[str]:
    """The other words of ``word_stem``'s concept (for expanding a lexical query)."""
    number = _concepts().get(word_stem)
    if number is None:
        return []
    return [word for word in CONCEPTS[number].split() if stem(word) != word_stem]
