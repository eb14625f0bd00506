"""The FEC (fichier des écritures comptables): write it, check it, read it back.

Pure functions over `BookLine` values (kpa/ledger/exchange.py); no model, no database.
Format: LPF art. A47 A-1 (arrêté du 29 juillet 2013); rules: research note standards.md §1.

Choices made here, so that every export looks the same:

- Encoding **ISO-8859-15** (`ENCODING`), one of the three the arrêté names; free text is mapped
  into it by `sanitize_text`. The reader also accepts UTF-8 (with or without BOM), as the DGFiP
  test tool does, but raises an alert for it.
- Record separator **CRLF** (`RECORD_SEPARATOR`): the arrêté allows CR and/or LF; CRLF is read
  correctly by every tool, including the Windows ones auditors use. The caller opens the file
  with `newline=""` so that Python does not translate it. The reader accepts CRLF, LF and CR.
- Field separator tab (default) or `|`, never both. Both Debit and Credit are always written.
- `write_fec` returns the number of ledger lines written; the header is not counted, and
  `FecReport.line_count` counts the same way.

`check_fec` reports problems in two severities: "erreur" (the DGFiP tool would refuse the file,
or the books are wrong: an unbalanced entry) and "alerte" (to look at). Its rule codes:

=========================  ========  =======================================================
rule                       severity  what (DGFiP Test Compta Demat rule, or auditor rule)
=========================  ========  =======================================================
nom_fichier                erreur    1. name is not SIRENFECAAAAMMJJ (alert: bad SIREN key,
                                     closing date other than the fiscal year's end)
separateur                 erreur    2. neither tab nor pipe splits the header in >= 9 fields
entete                     erreur    3. mandatory column missing or repeated (alert: spelling)
colonne_supplementaire     alerte    3. a column outside the 18 of the arrêté
ordre_colonnes             alerte    3. the 18 columns are not in the arrêté's order
encodage                   alerte    UTF-8 with non-ASCII text (the arrêté names ISO 8859-15)
fichier_vide               erreur    4. empty file
entete_seule               erreur    4. header and no line
nombre_champs              erreur    4. a line has more or fewer fields than the header
ligne_vide                 erreur    4. an empty line
champ_obligatoire          erreur    5. EcritureNum, EcritureDate, CompteNum or Montant empty
champ_vide                 alerte    5. JournalCode, JournalLib, CompteLib, PieceRef, PieceDate,
                                     EcritureLib, ValidDate, Debit or Credit empty
compte_num                 alerte    6. CompteNum does not start with 3 digits
montant_point              erreur    7. decimal point instead of comma
montant_milliers           erreur    7. thousands separator
montant_non_numerique      erreur    7. not a number
date                       erreur    8. not AAAAMMJJ, or not a calendar date
date_annee                 alerte    8. year outside 1900-2099
debit_credit               alerte    9. both Debit and Credit set, or both zero
sens                       erreur    10. Sens is not D, C, +1 or -1
equilibre_global           alerte    11. total debit differs from total credit
ecriture_desequilibree     erreur    an entry (JournalCode + EcritureNum) is not balanced
ecriture_dates             erreur    an entry has several EcritureDate
hors_exercice              erreur    EcritureDate outside the fiscal year given
lettrage                   alerte    EcritureLet without DateLet, or DateLet without EcritureLet
compte_auxiliaire          alerte    CompAuxNum without CompAuxLib, or the reverse
devise                     alerte    Montantdevise without Idevise, or the reverse
date_validation            alerte    ValidDate before EcritureDate
a_nouveaux                 erreur    an opening entry after other entries
cloture                    erreur    an entry moving classes 6/7 into account 12x
numerotation               alerte    gap or inversion of EcritureNum within a journal
import                     erreur    `read_fec` only: negative amount, more than 2 decimals
=========================  ========  =======================================================

`read_fec` refuses every "erreur", and also treats as errors the alerts that would give a
`BookLine` breaking its own contract: debit_credit, compte_num, and an empty JournalCode,
EcritureLib, PieceDate or ValidDate.
"""

from kpa.ledger.fec.checking import FecError, FecProblem, FecReport, check_fec, read_fec
from kpa.ledger.fec.writing import (
    ENCODING,
    FEC_COLUMNS,
    RECORD_SEPARATOR,
    SENS_COLUMNS,
    SEPARATORS,
    encode_fec,
    fec_filename,
    format_amount,
    format_date,
    sanitize_line,
    sanitize_text,
    write_fec,
)

__all__ = [
    "ENCODING", "FEC_COLUMNS", "RECORD_SEPARATOR", "SENS_COLUMNS", "SEPARATORS", "FecError",
    "FecProblem", "FecReport", "check_fec", "encode_fec", "fec_filename", "format_amount",
    "format_date", "read_fec", "sanitize_line", "sanitize_text", "write_fec",
]
