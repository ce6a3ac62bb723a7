"""English function words (three letters or more) that never mark a message as being about the
course. Kept here, not imported from scikit-learn, because importing scikit-learn costs ~2 s on
the first turn."""

ENGLISH_STOP_WORDS = frozenset("""
about above across after afterwards again against all almost alone along already also although
always among amongst amoungst amount and another any anyhow anyone anything anyway anywhere are
around back became because become becomes becoming been before beforehand behind being below beside
besides between beyond bill both bottom but call can cannot cant con could couldnt cry describe
detail done down due during each eight either eleven else elsewhere empty enough etc even ever every
everyone everything everywhere except few fifteen fifty fill find fire first five for former
formerly forty found four from front full further get give had has hasnt have hence her here
hereafter hereby herein hereupon hers herself him himself his how however hundred inc indeed
interest into its itself keep last latter latterly least less ltd made many may meanwhile might mill
mine more moreover most mostly move much must myself name namely neither never nevertheless next
nine nobody none noone nor not nothing now nowhere off often once one only onto other others
otherwise our ours ourselves out over own part per perhaps please put rather same see seem seemed
seeming seems serious several she should show side since sincere six sixty some somehow someone
something sometime sometimes somewhere still such system take ten than that the their them
themselves then thence there thereafter thereby therefore therein thereupon these they thick thin
third this those though three through throughout thru thus together too top toward towards twelve
twenty two under until upon very via was well were what whatever when whence whenever where
whereafter whereas whereby wherein whereupon wherever whether which while whither who whoever whole
whom whose why will with within without would yet you your yours yourself yourselves
""".split())
