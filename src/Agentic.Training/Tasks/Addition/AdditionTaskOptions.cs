using System.ComponentModel.DataAnnotations;

namespace Agentic.Training.Tasks.Addition;

/// <summary>Options of the synthetic multi-digit addition task.</summary>
public sealed class AdditionTaskOptions
{
    /// <summary>Fewest digits per operand in training problems.</summary>
    [Range(1, 18)] public int MinDigits { get; set; } = 1;

    /// <summary>Most digits per operand (training and held-out problems).</summary>
    [Range(1, 18)] public int MaxDigits { get; set; } = 3;

    /// <summary>Share of training problems whose operands both have <see cref="MaxDigits"/> digits.</summary>
    [Range(0.0, 1.0)] public double MaxDigitsShare { get; set; } = 0.8;

    /// <summary>Share of all operand pairs reserved for the held-out split (decided by a hash of the pair).</summary>
    [Range(0.0, 0.5)] public double HeldOutFraction { get; set; } = 0.1;

    /// <summary>Throws <see cref="ValidationException"/> when an option is out of range.</summary>
    public void Validate()
    {
        Validator.ValidateObject(this, new ValidationContext(this), validateAllProperties: true);
        if (MinDigits > MaxDigits) throw new ValidationException("MinDigits must not exceed MaxDigits.");
    }
}
