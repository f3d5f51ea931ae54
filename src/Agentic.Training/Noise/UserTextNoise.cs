using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Agentic.Training.Noise;

/// <summary>The text transformations of user noise, over one simulated-user message and its conversation state.</summary>
internal sealed partial class UserTextNoise
{
    private static readonly string[] Fillers = ["Um, so, ", "Okay so, basically, ", "Hi again, so, like I said, "];

    private static readonly (string Verb, string Vague)[] VagueVerbs =
    [
        ("cancel", "deal with"), ("refund", "sort out"), ("return", "do something about"), ("buy", "get"),
        ("purchase", "get"), ("book", "arrange"), ("reserve", "arrange"), ("change", "sort out"),
        ("update", "fix"), ("delete", "get rid of"), ("remove", "get rid of"), ("exchange", "swap"),
    ];

    private readonly UserNoiseOptions _options;
    private readonly Func<double> _random;

    public UserTextNoise(UserNoiseOptions options)
    {
        _options = options;
        _random = options.Randomizer;
    }

    /// <summary>Whether <paramref name="agentText"/> mentions <paramref name="slot"/>: the whole name, or every word of it (ignoring case, '_' and '-').</summary>
    public static bool Mentions(string agentText, string slot)
    {
        string text = Normalize(agentText);
        string name = Normalize(slot);
        if (name.Length == 0)
        {
            return false;
        }

        if (text.Contains(name, StringComparison.Ordinal))
        {
            return true;
        }

        var words = text.Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
        return name.Split(' ', StringSplitOptions.RemoveEmptyEntries).All(words.Contains);
    }

    /// <summary>Delivers triggered clarifications and keeps withheld values out of <paramref name="text"/>; returns the text to append.</summary>
    public string Prepare(UserConversationState state, string agentText, ref string text)
    {
        var appendix = new StringBuilder();
        bool question = agentText.Contains('?', StringComparison.Ordinal);
        foreach (var pending in state.Pending.ToList())
        {
            bool triggered = (pending.Slot is not null && Mentions(agentText, pending.Slot)) || (pending.OnAnyQuestion && question);
            if (!triggered)
            {
                continue;
            }

            state.Pending.Remove(pending);
            if (pending.Slot is not null)
            {
                // The clarification states the value, so it counts as given: it is never withheld again.
                state.Withheld.Remove(pending.Slot);
                state.Given.Add(pending.Slot);
            }

            if (!text.Contains(pending.Text, StringComparison.OrdinalIgnoreCase))
            {
                // A user that already says it (a simulated user answering the same question) is not made to say it twice.
                appendix.Append(' ').Append(pending.Text);
            }
        }

        foreach (string slot in state.Withheld)
        {
            if (_options.Slots.TryGetValue(slot, out string? value))
            {
                text = Remove(text, value);
            }
        }

        return appendix.ToString();
    }

    /// <summary>The kinds that can change <paramref name="text"/>.</summary>
    public List<KeyValuePair<UserNoiseKind, double>> Applicable(UserConversationState state, string text)
    {
        var result = new List<KeyValuePair<UserNoiseKind, double>>();
        bool nonEmpty = text.Trim().Length > 0;
        var present = PresentSlots(text);
        foreach (var (kind, weight) in _options.KindWeights)
        {
            bool applies = kind switch
            {
                UserNoiseKind.Typos => TypoCandidates(text).Count > 0,
                UserNoiseKind.Redundancy => nonEmpty,
                UserNoiseKind.SelfCorrection => present.Count > 0,
                UserNoiseKind.TopicShift => nonEmpty && _options.Asides.Count > 0,
                UserNoiseKind.GoalAmbiguity => nonEmpty,
                UserNoiseKind.ReferentialAmbiguity => present.Any(s => state.Given.Contains(s) || Count(text, _options.Slots[s]) >= 2),
                UserNoiseKind.ContextOmission => present.Any(s => !state.Given.Contains(s)),
                UserNoiseKind.InformationDropped => present.Any(state.Given.Contains),
                _ => false,
            };
            if (applies && weight > 0)
            {
                result.Add(new(kind, weight));
            }
        }

        result.Sort((a, b) => a.Key.CompareTo(b.Key)); // Dictionary order is not part of the contract; the draw must be.
        return result;
    }

    /// <summary>Applies <paramref name="kind"/> (which must be applicable) and returns its description.</summary>
    public string Apply(UserNoiseKind kind, UserConversationState state, ref string text)
    {
        switch (kind)
        {
            case UserNoiseKind.Typos:
                return Typos(ref text);
            case UserNoiseKind.Redundancy:
                if (_random() < 0.5)
                {
                    string filler = Fillers[NoiseRandom.NextInt(_random, Fillers.Length)];
                    text = filler + LowerFirst(text.TrimStart());
                    return $"added filler \"{filler.Trim()}\"";
                }
                else
                {
                    string first = Sentences(text)[0].Trim();
                    text = text.TrimEnd() + " Again: " + first;
                    return "repeated the first sentence";
                }

            case UserNoiseKind.SelfCorrection:
            {
                string slot = Pick(PresentSlots(text));
                string value = _options.Slots[slot];
                string wrong = ToolResultNoise.PerturbString(value, _random);
                int at = Occurrences(text, value).First();
                text = string.Concat(text.AsSpan(0, at), $"{wrong} (sorry, I mean {value})", text.AsSpan(at + value.Length));
                return $"stated {slot} as {wrong}, then corrected it to {value}";
            }

            case UserNoiseKind.TopicShift:
            {
                string aside = _options.Asides[NoiseRandom.NextInt(_random, _options.Asides.Count)];
                text = _random() < 0.5 ? aside + " " + text.TrimStart() : text.TrimEnd() + " " + aside;
                return $"added aside \"{aside}\"";
            }

            case UserNoiseKind.GoalAmbiguity:
            {
                string original = text.Trim();
                var replaced = new List<string>();
                foreach (var (verb, vague) in VagueVerbs)
                {
                    var pattern = new Regex($@"\b{verb}\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
                    if (pattern.IsMatch(text))
                    {
                        text = pattern.Replace(text, vague);
                        replaced.Add($"{verb}->{vague}");
                    }
                }

                text = "I'm not totally sure how to put it, but " + LowerFirst(text.TrimStart());
                state.Pending.Add(new Clarification(null, true, "To be clear, what I mean is: " + original));
                return replaced.Count == 0 ? "hedged the request" : "hedged the request; vague verbs " + string.Join(", ", replaced);
            }

            case UserNoiseKind.ReferentialAmbiguity:
            {
                string current = text;
                var candidates = PresentSlots(current).Where(s => state.Given.Contains(s) || Count(current, _options.Slots[s]) >= 2).ToList();
                string slot = Pick(candidates);
                string value = _options.Slots[slot];
                bool given = state.Given.Contains(slot);
                text = ReplaceOccurrences(text, value, "that one", skipFirst: !given);
                state.Pending.Add(new Clarification(slot, true, $"By \"that one\" I mean {value}."));
                return $"referred to {slot} ({value}) as \"that one\"";
            }

            case UserNoiseKind.ContextOmission:
            {
                string slot = Pick(PresentSlots(text).Where(s => !state.Given.Contains(s)).ToList());
                string value = _options.Slots[slot];
                text = Remove(text, value);
                state.Withheld.Add(slot);
                state.Pending.Add(new Clarification(slot, false, $"My {slot} is {value}."));
                return $"withheld {slot} ({value}) until asked";
            }

            case UserNoiseKind.InformationDropped:
            {
                string slot = Pick(PresentSlots(text).Where(state.Given.Contains).ToList());
                string value = _options.Slots[slot];
                text = ReplaceOccurrences(text, value, $"the {slot} I gave you earlier", skipFirst: false);
                state.Pending.Add(new Clarification(slot, false, $"My {slot} is {value}."));
                return $"did not repeat {slot} ({value})";
            }

            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, null);
        }
    }

    /// <summary>Marks the slots whose value appears in the final <paramref name="text"/> as given.</summary>
    public void Observe(UserConversationState state, string text)
    {
        foreach (string slot in PresentSlots(text))
        {
            state.Given.Add(slot);
        }
    }

    private List<string> PresentSlots(string text) =>
        [.. _options.Slots.Where(s => Occurrences(text, s.Value).Any()).Select(s => s.Key).Order(StringComparer.OrdinalIgnoreCase)];

    /// <summary>
    /// Where <paramref name="value"/> stands in <paramref name="text"/> as a whole (ignoring case): a value that starts or
    /// ends with a letter or digit is not found inside a longer word ("ember" is not in "remembered", "A-104" not in "A-1042").
    /// </summary>
    internal static IEnumerable<int> Occurrences(string text, string value)
    {
        if (value.Length == 0)
        {
            yield break;
        }

        bool wordStart = char.IsLetterOrDigit(value[0]);
        bool wordEnd = char.IsLetterOrDigit(value[^1]);
        int at = 0;
        while ((at = text.IndexOf(value, at, StringComparison.OrdinalIgnoreCase)) >= 0)
        {
            int end = at + value.Length;
            bool whole = !(wordStart && at > 0 && char.IsLetterOrDigit(text[at - 1])) && !(wordEnd && end < text.Length && char.IsLetterOrDigit(text[end]));
            if (whole)
            {
                yield return at;
                at = end;
            }
            else
            {
                at++;
            }
        }
    }

    private string Pick(List<string> items) => items[NoiseRandom.NextInt(_random, items.Count)];

    private string Typos(ref string text)
    {
        var candidates = TypoCandidates(text);
        int count = 1 + NoiseRandom.NextInt(_random, Math.Min(3, candidates.Count));
        var chosen = new SortedSet<int>();
        while (chosen.Count < count)
        {
            chosen.Add(NoiseRandom.NextInt(_random, candidates.Count));
        }

        var details = new List<string>();
        foreach (int c in chosen.Reverse())
        {
            var (index, length) = candidates[c];
            string word = text.Substring(index, length);
            string typo = Typo(word);
            details.Add($"{word}->{typo}");
            text = string.Concat(text.AsSpan(0, index), typo, text.AsSpan(index + length));
        }

        details.Reverse();
        return "typos " + string.Join(", ", details);
    }

    private string Typo(string word)
    {
        int op = NoiseRandom.NextInt(_random, 3);
        int i = 1 + NoiseRandom.NextInt(_random, word.Length - 2);
        if (op == 0 && word[i] != word[i + 1])
        {
            return string.Concat(word.AsSpan(0, i), word[i + 1].ToString(), word[i].ToString(), word.AsSpan(i + 2));
        }

        return op == 1 ? word.Remove(i, 1) : word.Insert(i, word[i].ToString());
    }

    private List<(int Index, int Length)> TypoCandidates(string text)
    {
        var protectedSpans = new List<(int Start, int End)>();
        foreach (string value in _options.Slots.Values)
        {
            protectedSpans.AddRange(Occurrences(text, value).Select(at => (at, at + value.Length)));
        }

        // Words in capitals (VAR, SKU, an acronym) read as identifiers, not prose: a typo would change what they name.
        return [.. WordPattern().Matches(text)
            .Where(m => !m.Value.All(char.IsUpper))
            .Where(m => !protectedSpans.Any(p => m.Index < p.End && p.Start < m.Index + m.Length))
            .Select(m => (m.Index, m.Length))];
    }

    private static string Remove(string text, string value)
    {
        string removed = ReplaceOccurrences(text, value, string.Empty, skipFirst: false);
        if (removed.Length == text.Length)
        {
            return text; // the value does not stand in the text: nothing to tidy
        }

        removed = SpaceBeforePunctuation().Replace(removed, "$1");
        return SpaceRun().Replace(removed, " ").Trim(); // spaces only: the message's line breaks stay
    }

    private static string ReplaceOccurrences(string text, string value, string replacement, bool skipFirst)
    {
        var builder = new StringBuilder();
        int at = 0;
        bool first = true;
        foreach (int found in Occurrences(text, value).ToList())
        {
            builder.Append(text, at, found - at);
            builder.Append(first && skipFirst ? text.Substring(found, value.Length) : replacement);
            first = false;
            at = found + value.Length;
        }

        builder.Append(text, at, text.Length - at);
        return builder.ToString();
    }

    private static int Count(string text, string value) => Occurrences(text, value).Count();

    private static string[] Sentences(string text)
    {
        var parts = SentenceBoundary().Split(text.Trim());
        return parts.Length == 0 ? [text] : parts;
    }

    private static string LowerFirst(string text) =>
        text.Length > 1 && char.IsUpper(text[0]) && !char.IsUpper(text[1])
            ? char.ToLower(text[0], CultureInfo.InvariantCulture) + text[1..]
            : text;

    private static string Normalize(string text)
    {
        var builder = new StringBuilder(text.Length);
        foreach (char c in text)
        {
            builder.Append(char.IsLetterOrDigit(c) ? char.ToLowerInvariant(c) : ' ');
        }

        return MultipleSpaces().Replace(builder.ToString(), " ").Trim();
    }

    [GeneratedRegex(@"\p{L}{3,}")]
    private static partial Regex WordPattern();

    [GeneratedRegex(@"[ \t]+([.,!?;:])")]
    private static partial Regex SpaceBeforePunctuation();

    [GeneratedRegex(@"\s{2,}")]
    private static partial Regex MultipleSpaces();

    [GeneratedRegex(@"[ \t]{2,}")]
    private static partial Regex SpaceRun();

    [GeneratedRegex(@"(?<=[.!?])\s+")]
    private static partial Regex SentenceBoundary();
}
